import CancelgateWire
import CancelgateCore
import CancelgateFakes
import CancelgateServer
import CancelgateStore
import CurlClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import NIOCore
import Testing

/// Starts the fake upstreams and the gateway on 127.0.0.1, both on port 0, the gateway
/// configured through the real loader from `FakeUpstreams.routesJSON`, and runs `body` against them.
struct GatewayHarness {
    struct Settings {
        var requestTimeoutMs = 10_000
        var upstreamTimeoutMs = 5_000
        var maxItems = 1000
        var kubiyaMode = "batch"
        var concurrency: Int?
        var clients: [(name: String, token: String, upstreams: [String])] = []
        var logLevel: Logger.Level = .debug
        /// Unknown well-formed IDs are running runs in the fakes.
        var autoCreate = false
        /// The keys of the application's memory store; nil: its own. Ignored with `store`.
        var idempotencyStore: (any IdempotencyStore)?
        /// A `store` object for routes.json (e.g. SQLite in a temporary directory), opened as
        /// `serve` opens it; nil: a memory store.
        var store: String?
        /// Also log to this handler (e.g. a `JSONLogHandler` capturing its lines).
        var extraLogHandler: (any LogHandler)?
        /// Serve from a routes.json file (so `POST /admin/reload` can re-read it).
        var fromFile = false
        /// Rewrites the generated routes.json before it is loaded (e.g. a wrong base_url).
        var editRoutes: @Sendable (String) -> String = { $0 }
        /// More keys for every upstream / for `server`, as JSON members (`"read_in_doubt": false`).
        var upstreamKeys = ""
        var serverKeys = ""
    }

    let fakes: FakeUpstreams
    let gateway: any TestClientProtocol
    let logs: InMemoryLogHandler
    /// The fakes' port, to write another routes.json for them.
    var fakesPort = 0
    /// The routes.json the gateway was loaded from when `Settings.fromFile`.
    var routesFile: String?

    static func run(
        _ settings: Settings = Settings(), seed: (FakeState) async -> Void = { _ in },
        _ body: @Sendable (GatewayHarness) async throws -> Void
    ) async throws {
        let fakes = FakeUpstreams(autoCreate: settings.autoCreate)
        await seed(fakes.state)
        let logs = {
            var handler = InMemoryLogHandler()
            handler.logLevel = settings.logLevel
            return handler
        }()
        let logger = Logger(
            label: "cancelgate.test",
            factory: { _ in
                guard var extra = settings.extraLogHandler else { return logs }
                extra.logLevel = settings.logLevel
                return MultiplexLogHandler([logs, extra])
            })
        let fakesApp = fakes.buildApplication(port: 0, logger: Logger(label: "fakes", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await fakesApp.test(.live) { fakesClient in
            let port = try #require(fakesClient.port)
            var json = settings.editRoutes(
                fakes.routesJSON(
                    port: port, requestTimeoutMs: settings.requestTimeoutMs, upstreamTimeoutMs: settings.upstreamTimeoutMs,
                    maxItems: settings.maxItems, kubiyaMode: settings.kubiyaMode, concurrency: settings.concurrency, clients: settings.clients,
                    upstreamKeys: settings.upstreamKeys, serverKeys: settings.serverKeys))
            if let store = settings.store { json = withStore(json, store) }
            let config = try ConfigLoader.load(data: Data(json.utf8), environment: [:])
            let client = try CurlClient()
            defer { client.shutdown() }
            let routesFile: String? =
                settings.fromFile ? FileManager.default.temporaryDirectory.appendingPathComponent("cancelgate-routes-\(UUID().uuidString).json").path : nil
            if let routesFile { try Data(json.utf8).write(to: URL(fileURLWithPath: routesFile)) }
            defer { if let routesFile { try? FileManager.default.removeItem(atPath: routesFile) } }
            let store: OpenedStore? =
                settings.store != nil
                ? try await StoreOpener.open(config, logger: logger)
                : settings.idempotencyStore.map { OpenedStore(store: MemoryStore(keys: $0), name: "memory") }
            defer { if let store { Task { await store.close() } } }
            let options = GatewayOptions(
                host: "127.0.0.1", port: 0, store: store,
                configSource: routesFile.map { ConfigSource(path: $0, environment: { [:] }) })
            let app = buildApplication(config: config, transport: client, options: options, logger: logger)
            try await app.test(.live) { gateway in
                defer { Task { await fakes.state.releaseHangs() } }
                try await body(
                    GatewayHarness(fakes: fakes, gateway: RecordingTestClient.wrap(gateway), logs: logs, fakesPort: port, routesFile: routesFile))
            }
            await fakes.state.releaseHangs()
        }
    }

    /// POSTs `body` to /v1/cancel and decodes the report, expecting 200.
    func cancel(_ body: String, query: String = "", headers: HTTPFields = [:]) async throws -> CancelReport {
        let response = try await post(body, query: query, headers: headers)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return try JSONDecoder().decode(CancelReport.self, from: Data(response.body.readableBytesView))
    }

    func cancel(ids: [String], upstream: String? = nil, headers: HTTPFields = [:]) async throws -> CancelReport {
        try await cancel(Self.body(ids: ids, upstream: upstream), headers: headers)
    }

    func post(
        _ body: String, path: String = "/v1/cancel", query: String = "", headers: HTTPFields = [:], contentType: String? = "application/json"
    ) async throws -> TestResponse {
        var headers = headers
        if let contentType { headers[.contentType] = contentType }
        return try await gateway.execute(uri: path + query, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// POSTs `body` to /v1/status and decodes the report, expecting 200.
    func status(_ body: String, headers: HTTPFields = [:]) async throws -> StatusReport {
        let response = try await post(body, path: "/v1/status", headers: headers)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return try JSONDecoder().decode(StatusReport.self, from: Data(response.body.readableBytesView))
    }

    /// Cancels (not status reads) the fakes received for `provider`.
    func cancelCalls(_ provider: FakeProvider) async -> [FakeCall] {
        await fakes.state.calls(provider).filter { !$0.isStatusRead }
    }

    static func body(ids: [String], upstream: String? = nil) -> String {
        var object: [String: Any] = ["ids": ids]
        if let upstream { object["upstream"] = upstream }
        let data = try! JSONSerialization.data(withJSONObject: object)
        return String(decoding: data, as: UTF8.self)
    }
}

extension CancelReport {
    /// The report's own invariants: one result per entry, in order, summary counts that add up.
    func checkShape(expectedCount: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(results.count == expectedCount, sourceLocation: sourceLocation)
        #expect(results.map(\.index) == Array(0..<expectedCount), sourceLocation: sourceLocation)
        #expect(summary.total == expectedCount, sourceLocation: sourceLocation)
        #expect(summary.outcomes.values.reduce(0, +) == expectedCount, sourceLocation: sourceLocation)
        let terminal = summary.outcomes["already_terminal"] ?? 0
        #expect(summary.succeeded + summary.failed + terminal + (summary.outcomes["planned"] ?? 0) == expectedCount, sourceLocation: sourceLocation)
    }
}

/// Well-formed IDs for each provider.
enum TestIDs {
    static func uuid() -> String { UUID().uuidString.lowercased() }
    static func skyvernTask() -> String { "tsk_\(UInt64.random(in: 1_000_000...9_999_999_999))" }
    static func c1() -> String { String(UInt64.random(in: 1_000_000...9_000_000_000)) }
    static func meibel() -> String { "bex_\(UInt64.random(in: 1_000_000...9_999_999_999))" }
}
