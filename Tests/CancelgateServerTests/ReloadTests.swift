import CancelgateWire
import CancelgateCore
import CancelgateFakes
import CancelgateServer
@testable import CurlClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import NIOCore
import ServiceLifecycle
import Testing

/// Hot reload (SIGHUP and `POST /admin/reload`): a valid file takes effect for new requests, an
/// invalid one is refused with its messages and changes nothing, a request in flight finishes on
/// the configuration it started with.
@Suite struct ReloadTests {
    static let admin = (name: "ops", token: "ops-token-1", upstreams: [String]())
    static let bot = (name: "bot", token: "bot-token-2", upstreams: ["kubiya", "skyvern", "meibel", "c1"])

    /// The harness's routes.json for these clients, with `edit` applied to its JSON object.
    static func routes(_ h: GatewayHarness, clients: [(name: String, token: String, upstreams: [String])], edit: (inout [String: Any]) -> Void) throws -> Data {
        let json = h.fakes.routesJSON(port: h.fakesPort, clients: clients)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        if var list = object["clients"] as? [[String: Any]], let index = list.firstIndex(where: { $0["name"] as? String == admin.name }) {
            list[index]["admin"] = true
            object["clients"] = list
        }
        edit(&object)
        return try JSONSerialization.data(withJSONObject: object)
    }

    static func setConcurrency(_ value: Int, of upstream: String) -> (inout [String: Any]) -> Void {
        { object in
            var upstreams = object["upstreams"] as! [String: Any]
            var entry = upstreams[upstream] as! [String: Any]
            entry["concurrency"] = value
            upstreams[upstream] = entry
            object["upstreams"] = upstreams
        }
    }

    func reload(_ h: GatewayHarness, token: String?) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await h.gateway.execute(uri: "/admin/reload", method: .post, headers: headers, body: nil)
    }

    func concurrency(_ h: GatewayHarness, of upstream: String, token: String) async throws -> Int? {
        let response = try await h.gateway.execute(uri: "/v1/upstreams", method: .get, headers: [.authorization: "Bearer \(token)"], body: nil)
        let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
        let entries = object?["upstreams"] as? [[String: Any]] ?? []
        return entries.first { $0["name"] as? String == upstream }?["concurrency"] as? Int
    }

    @Test func adminReloadAppliesAValidFileAndRefusesAnInvalidOne() async throws {
        // Started without clients (anyone may reload); the first reload adds an admin and a bot.
        try await GatewayHarness.run(GatewayHarness.Settings(fromFile: true)) { h in
            let file = try #require(h.routesFile)
            let clients = [Self.admin, Self.bot]
            try Self.routes(h, clients: clients, edit: { _ in }).write(to: URL(fileURLWithPath: file))
            #expect(try await reload(h, token: nil).status == .ok)
            let before = try #require(try await concurrency(h, of: "meibel", token: Self.bot.token))

            // From now on only the admin client may reload.
            try Self.routes(h, clients: clients, edit: Self.setConcurrency(before + 3, of: "meibel")).write(to: URL(fileURLWithPath: file))
            #expect(try await reload(h, token: nil).status == .unauthorized)
            #expect(try await reload(h, token: Self.bot.token).status == .forbidden)
            #expect(try await concurrency(h, of: "meibel", token: Self.bot.token) == before, "refused reloads change nothing")

            let ok = try await reload(h, token: Self.admin.token)
            #expect(ok.status == .ok)
            let answer = try JSONSerialization.jsonObject(with: Data(ok.body.readableBytesView)) as? [String: Any]
            #expect(answer?["status"] as? String == "reloaded")
            #expect(answer?["clients"] as? Int == 2)
            #expect(try await concurrency(h, of: "meibel", token: Self.bot.token) == before + 3)

            // A file that does not validate: 422 naming each problem; the configuration stays.
            try Data(#"{"server": {"port": "eighty"}, "upstreams": {"k": {"provider": "kubiya", "base_url": "http://127.0.0.1:9"}}, "routes": [{"match": {"prefix": "x"}, "upstream": "nowhere"}]}"#.utf8)
                .write(to: URL(fileURLWithPath: file))
            let refused = try await reload(h, token: Self.admin.token)
            #expect(refused.status == .unprocessableContent)
            #expect(refused.headers[.contentType] == "application/problem+json")
            let problem = try JSONSerialization.jsonObject(with: Data(refused.body.readableBytesView)) as? [String: Any]
            let pointers = (problem?["errors"] as? [[String: Any]] ?? []).compactMap { $0["pointer"] as? String }
            #expect(pointers.contains("/server/port"), "\(pointers)")
            #expect(pointers.contains("/routes/0/upstream"), "\(pointers)")
            #expect(try await concurrency(h, of: "meibel", token: Self.bot.token) == before + 3)
            let report = try await h.cancel(ids: [TestIDs.meibel()], headers: [.authorization: "Bearer \(Self.bot.token)"])
            #expect(report.results[0].upstream == "meibel", "the old configuration still serves")
            #expect(h.logs.entries.contains { "\($0.message)".contains("reload refused") })
        }
    }

    /// The idempotency store is built once, at start: a reload that resizes it says a restart is needed.
    @Test func idempotencyStoreSizeChangesRequireARestart() async throws {
        try await GatewayHarness.run(GatewayHarness.Settings(fromFile: true)) { h in
            let file = try #require(h.routesFile)
            let resize: (inout [String: Any]) -> Void = { object in
                var server = object["server"] as? [String: Any] ?? [:]
                server["idempotency_max_entries"] = 5
                server["idempotency_max_bytes"] = 1_000_000
                object["server"] = server
            }
            try Self.routes(h, clients: [], edit: resize).write(to: URL(fileURLWithPath: file))
            let answer = try await reload(h, token: nil)
            #expect(answer.status == .ok)
            let object = try JSONSerialization.jsonObject(with: Data(answer.body.readableBytesView)) as? [String: Any]
            #expect(object?["restart_required"] as? [String] == ["server.idempotency_max_entries", "server.idempotency_max_bytes"])
        }
    }

    /// The store is opened once, at start: a reload that moves it says a restart is needed, and
    /// records keep going to the store in use.
    @Test func aStoreChangeRequiresARestart() async throws {
        try await GatewayHarness.run(GatewayHarness.Settings(fromFile: true)) { h in
            let file = try #require(h.routesFile)
            let move: (inout [String: Any]) -> Void = { object in
                object["store"] = ["type": "sqlite", "path": "/nonexistent-dir/elsewhere.db"]
            }
            try Self.routes(h, clients: [], edit: move).write(to: URL(fileURLWithPath: file))
            let answer = try await reload(h, token: nil)
            #expect(answer.status == .ok)
            let object = try JSONSerialization.jsonObject(with: Data(answer.body.readableBytesView)) as? [String: Any]
            #expect(object?["restart_required"] as? [String] == ["store"])
            let report = try await h.cancel(ids: ["tsk_77"], headers: [HTTPField.Name("X-Request-ID")!: "after-reload"])
            #expect(report.results.count == 1)
            #expect(try await h.gateway.execute(uri: "/v1/cancels/after-reload", method: .get).status == .ok)
        }
    }

    @Test func reloadWithoutAFileIsAConflict() async throws {
        try await GatewayHarness.run { h in
            let response = try await reload(h, token: nil)
            #expect(response.status == .conflict)
            #expect(String(buffer: response.body).contains("not started from a routes.json file"))
        }
    }

    @Test func reloadChangesRoutesForNewRequestsOnly() async throws {
        // The in-flight request is held by the Meibel fake; the reload then sends `bex_` IDs nowhere.
        let settings = GatewayHarness.Settings(fromFile: true)
        try await GatewayHarness.run(settings, seed: { state in await state.addFaultRule(FaultRule(.hang, times: 1), for: .meibel) }) { h in
            let file = try #require(h.routesFile)
            let held = TestIDs.meibel()
            await h.fakes.state.seed(.meibel, id: held, status: "RUNNING")
            let removeMeibelRoute: (inout [String: Any]) -> Void = { object in
                object["routes"] = (object["routes"] as! [[String: Any]]).filter { $0["upstream"] as? String != "meibel" }
            }
            try Self.routes(h, clients: [], edit: removeMeibelRoute).write(to: URL(fileURLWithPath: file))
            let port = try #require(h.gateway.port)
            let inFlight = Task { try await LiveGatewayCall.cancel(port: port, ids: [held]) }
            await h.fakes.state.waitUntilHeld()
            #expect(try await reload(h, token: nil).status == .ok)
            let fresh = try await h.cancel(ids: [TestIDs.meibel()])
            #expect(fresh.results[0].outcome == .unroutable, "a new request uses the new routes")
            _ = await h.fakes.state.releaseHangs()
            let report = try await inFlight.value
            #expect(report.results[0].upstream == "meibel", "the held request finished on its own configuration")
            #expect(report.results[0].outcome != .unroutable)
        }
    }

    @Test func aSignalSequenceDrivesReloads() async throws {
        // `cancelgate serve` passes SIGHUP's sequence; here the service gets a hand-made one.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cancelgate-reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("routes.json")
        let first = #"{"upstreams": {"k": {"provider": "kubiya", "base_url": "http://127.0.0.1:9"}}}"#
        try Data(first.utf8).write(to: file)
        let config = try ConfigLoader.load(path: file.path, environment: [:])
        let live = LiveConfiguration(config: config, transport: NoTransport(), source: ConfigSource(path: file.path, environment: { [:] }))
        let (signals, signal) = AsyncStream.makeStream(of: Int.self)
        let service = ReloadService(live: live, signals: signals, logger: Logger(label: "test"))
        let running = Task { try await service.run() }
        try Data(#"{"upstreams": {"k": {"provider": "kubiya", "base_url": "http://127.0.0.1:9"}, "m": {"provider": "meibel", "base_url": "http://127.0.0.1:9"}}}"#.utf8)
            .write(to: file)
        signal.yield(1)
        signal.finish()
        try await running.value
        #expect(live.current.config.upstreams.map(\.name).sorted() == ["k", "m"])
    }
}

/// A transport for configurations that are never called.
struct NoTransport: HTTPTransport {
    func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
        throw CurlError(kind: .connectFailed, code: 7, call: "test", requestSent: false, message: "no transport in this test")
    }
}

/// A cancel on its own connection (the harness's client sends one request at a time).
enum LiveGatewayCall {
    static func cancel(port: Int, ids: [String]) async throws -> CancelReport {
        let client = try CurlClient()
        defer { client.shutdown() }
        let response = try await client.execute(
            CurlRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/v1/cancel", headers: [HTTPHeader("Content-Type", "application/json")],
                body: Data(GatewayHarness.body(ids: ids).utf8), timeout: .seconds(30)))
        #expect(response.status == 200)
        return try JSONDecoder().decode(CancelReport.self, from: response.body)
    }
}
