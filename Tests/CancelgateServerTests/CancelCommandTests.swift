import CancelgateWire
import CancelgateClient
import CancelgateFakes
import CurlClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// `cancelgate cancel`'s library (`CancelSession`) against the fakes and a live gateway: ID files,
/// chunking at `max_items`, one merged report, replays on a re-run, failures and exit codes.
@Suite struct CancelCommandTests {
    /// A session on the harness's gateway, with its own CurlClient (as a fresh process would have).
    static func withSession<T>(
        _ h: GatewayHarness, _ parameters: CancelParameters = .init(), token: String? = nil, chunkSize: Int? = nil,
        conflictRetryDelays: [Duration] = [], _ body: (CancelSession) async throws -> T
    ) async throws -> T {
        try await withSession(
            server: "http://127.0.0.1:\(try #require(h.gateway.port))", parameters, token: token, chunkSize: chunkSize,
            conflictRetryDelays: conflictRetryDelays, body)
    }

    static func withSession<T>(
        server: String, _ parameters: CancelParameters = .init(), token: String? = nil, chunkSize: Int? = nil,
        conflictRetryDelays: [Duration] = [], _ body: (CancelSession) async throws -> T
    ) async throws -> T {
        let http = try CurlClient()
        defer { http.shutdown() }
        let client = try GatewayClient(
            server: server, token: token, http: http, timeout: .seconds(60), conflictRetryDelays: conflictRetryDelays,
            logger: Logger(label: "cancel.test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return try await body(CancelSession(client: client, parameters: parameters, chunkSize: chunkSize))
    }

    static func autoCreate(maxItems: Int = 1000) -> GatewayHarness.Settings {
        var settings = GatewayHarness.Settings()
        settings.autoCreate = true
        settings.maxItems = maxItems
        settings.logLevel = .info
        return settings
    }

    @Test func idsFromAFileWithCommentsAreCancelledInOrder() async throws {
        let (bex, uuid, c1) = (TestIDs.meibel(), TestIDs.uuid(), TestIDs.c1())
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cancel-ids-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        # rollback of release 42
        \(bex)

           tsk_4810001   # the stuck one
        \(c1)\r
        # \(TestIDs.meibel()) commented out
        \(uuid)
        """.write(to: file, atomically: true, encoding: .utf8)
        let ids = try IDList.read(arguments: ["wr_77"], file: file.path, stdin: nil)
        #expect(ids == ["wr_77", bex, "tsk_4810001", c1, uuid])

        try await GatewayHarness.run(Self.autoCreate()) { h in
            let report = try await Self.withSession(h, CancelParameters(reason: "rollback of release 42")) { try await $0.run(ids) }
            #expect(report.results.map(\.id) == ids)
            #expect(report.results.map(\.index) == Array(0..<5))
            #expect(report.results.map(\.upstream) == ["skyvern", "meibel", "skyvern", "c1", "kubiya"])
            #expect(report.results.map(\.outcome.rawValue) == ["cancelled", "cancelled", "cancelled", "cancel_requested", "cancelled"])
            #expect(report.requestIDs.count == 1)
            #expect(report.exitCode == 0)
            #expect(await h.fakes.state.cancellations(.kubiya, id: uuid) == 1)
        }
    }

    @Test func aListLongerThanMaxItemsIsSentInChunksAndMergedInInputOrder() async throws {
        let ids = [
            TestIDs.meibel(), "tsk_1000001", TestIDs.uuid(), "not-routable", TestIDs.c1(), TestIDs.meibel(), "tsk_1000002", TestIDs.uuid(),
        ]
        try await GatewayHarness.run(Self.autoCreate(maxItems: 3)) { h in
            var seen: [CancelProgress] = []
            let report = try await Self.withSession(h) { session in
                try await session.run(ids) { seen.append($0) }
            }
            #expect(
                seen.map { [$0.requestsDone, $0.requests, $0.itemsDone, $0.items] } == [[0, 3, 0, 8], [1, 3, 3, 8], [2, 3, 6, 8], [3, 3, 8, 8]])
            #expect(report.requestIDs.count == 3)
            #expect(Set(report.requestIDs).count == 3)
            #expect(report.results.map(\.index) == Array(0..<8))
            #expect(report.results.map(\.id) == ids)
            #expect(report.results[3].outcome.rawValue == "unroutable")
            #expect(report.summary == Summary(report.results))
            #expect(report.summary.total == 8 && report.summary.succeeded == 7 && report.summary.failed == 1)
            #expect(report.error == nil)
            #expect(report.exitCode == 1)
            // --chunk-size lowers the gateway's limit, never raises it.
            let smaller = try await Self.withSession(h, chunkSize: 2) { try await $0.chunks(for: ids) }
            #expect(smaller.map(\.ids.count) == [2, 2, 2, 2])
            let capped = try await Self.withSession(h, chunkSize: 50) { try await $0.chunks(for: ids) }
            #expect(capped.map(\.offset) == [0, 3, 6])
        }
    }

    @Test func runningTheSameCommandAgainReplaysInsteadOfCancellingTwice() async throws {
        let bex = (0..<3).map { _ in TestIDs.meibel() }
        let ids = bex + ["tsk_2000001", "tsk_2000002"]
        try await GatewayHarness.run(Self.autoCreate(maxItems: 2)) { h in
            let parameters = CancelParameters(reason: "incident 7")
            let first = try await Self.withSession(h, parameters) { try await $0.run(ids) }
            #expect(first.replayedRequests == 0)
            #expect(first.exitCode == 0)
            let meibelCalls = await h.fakes.state.calls(.meibel).count
            let skyvernCalls = await h.fakes.state.calls(.skyvern).count

            let again = try await Self.withSession(h, parameters) { try await $0.run(ids) }
            #expect(again.replayedRequests == 3)
            #expect(again.requestIDs == first.requestIDs)
            #expect(again.results == first.results)
            #expect(await h.fakes.state.calls(.meibel).count == meibelCalls)
            #expect(await h.fakes.state.calls(.skyvern).count == skyvernCalls)
            for id in bex { #expect(await h.fakes.state.cancellations(.meibel, id: id) == 1) }
            #expect(await h.fakes.state.cancellations(.skyvern, id: "tsk_2000001") == 1)

            // Another reason is another request: new keys, sent for real, and the runs have ended
            // (Meibel answers a cancelled execution's status again, so its items stay `cancelled`).
            let other = try await Self.withSession(h, CancelParameters(reason: "incident 8")) { try await $0.run(ids) }
            #expect(other.replayedRequests == 0)
            #expect(other.results.map(\.outcome.rawValue) == ["cancelled", "cancelled", "cancelled", "already_terminal", "already_terminal"])
            #expect(other.exitCode == 0)
        }
    }

    /// Ctrl-C while the second request is held upstream. A re-run at once meets that request still
    /// running (409): without retries it stops there; with them it waits until the request has
    /// finished and gets both reports, and no run is cancelled twice.
    @Test(.timeLimit(.minutes(2)))
    func aRerunAfterAnInterruptionCancelsEachRunOnce() async throws {
        var settings = Self.autoCreate(maxItems: 2)
        settings.requestTimeoutMs = 60_000
        settings.upstreamTimeoutMs = 60_000
        let bex = [TestIDs.meibel(), TestIDs.meibel()]
        let ids = ["tsk_3000001", "tsk_3000002"] + bex
        try await GatewayHarness.run(settings, seed: { await $0.setFault(.hang, for: .meibel) }) { h in
            let interrupted = Task { try await Self.withSession(h) { try await $0.run(ids) } }
            await h.fakes.state.waitUntilHeld(2)
            interrupted.cancel()
            await #expect {
                _ = try await interrupted.value
            } throws: { ($0 as? CancelCommandError)?.kind == .cancelled }

            let tooSoon = try await Self.withSession(h) { try await $0.run(ids) }
            #expect(tooSoon.replayedRequests == 1)
            #expect(tooSoon.error?.request == 1)
            #expect(tooSoon.error?.message.contains("409") == true)
            #expect(tooSoon.results.map(\.outcome.rawValue) == ["cancelled", "cancelled", "not_sent", "not_sent"])
            #expect(tooSoon.exitCode == 2)

            // Retries every 50 ms (for up to a minute): the hang is released once the run says it waits.
            let (waits, waiting) = AsyncStream.makeStream(of: Void.self)
            let patient = Task {
                try await Self.withSession(h, conflictRetryDelays: Array(repeating: .milliseconds(50), count: 1200)) { session in
                    try await session.run(ids) { if $0.waitingForEarlierRequest { waiting.yield() } }
                }
            }
            for await _ in waits { break }
            _ = await h.fakes.state.clearFaults()
            await h.fakes.state.releaseHangs()
            let rerun = try await patient.value
            #expect(rerun.replayedRequests == 2)
            #expect(rerun.error == nil)
            #expect(rerun.results.map(\.outcome.rawValue) == ["cancelled", "cancelled", "cancelled", "cancelled"])
            #expect(rerun.exitCode == 0)
            for id in bex { #expect(await h.fakes.state.cancellations(.meibel, id: id) == 1) }
            #expect(await h.fakes.state.calls(.meibel).count == 2)
            #expect(await h.fakes.state.calls(.skyvern).count == 1)
        }
    }

    @Test func aFailedRequestMidwayKeepsWhatWasDoneAndNamesWhatWasNotSent() async throws {
        let ids = ["tsk_4000001", "tsk_4000002", "tsk_4000003", "tsk_4000004", "tsk_4000005"]
        try await GatewayHarness.run(Self.autoCreate(maxItems: 2)) { h in
            // Someone used the second chunk's key for another request: the gateway answers 422.
            let key = Chunk.split(ids, size: 2, parameters: .init())[1].idempotencyKey
            _ = try await h.post(#"{"ids":["tsk_9"]}"#, headers: [IdempotencyTests.key: key])
            let report = try await Self.withSession(h) { try await $0.run(ids) }
            #expect(report.requestIDs.count == 1)
            #expect(report.results.map(\.id) == ids)
            #expect(report.results.map(\.index) == Array(0..<5))
            #expect(report.results.map(\.outcome.rawValue) == ["cancelled", "cancelled", "not_sent", "not_sent", "not_sent"])
            #expect(report.error?.request == 1 && report.error?.requests == 3 && report.error?.notSent == 3)
            #expect(report.error?.kind == "usage")
            #expect(report.error?.message.contains("Idempotency-Key was already used") == true)
            #expect(report.summary.failed == 3)
            #expect(report.exitCode == 2)
            #expect(report.summaryLine().contains("request 2 of 3 failed, 3 items not sent"))
            #expect(await h.fakes.state.cancellations(.skyvern, id: "tsk_4000003") == 0)
        }
    }

    @Test func dryRunPlansWithoutCallingUpstreams() async throws {
        try await GatewayHarness.run(Self.autoCreate(maxItems: 2)) { h in
            let ids = [TestIDs.meibel(), "tsk_5000001", TestIDs.c1()]
            let report = try await Self.withSession(h, CancelParameters(dryRun: true)) { try await $0.run(ids) }
            #expect(report.dryRun)
            #expect(report.results.allSatisfy { $0.outcome.rawValue == "planned" })
            #expect(report.plan?.flatMap(\.ids).sorted() == ids.sorted())
            #expect(report.exitCode == 0)
            let invalid = try await Self.withSession(h, CancelParameters(upstream: "c1", dryRun: true)) { try await $0.run(["12", "abc"]) }
            #expect(invalid.results.map(\.outcome.rawValue) == ["planned", "invalid"])
            #expect(invalid.exitCode == 1)
            for provider in FakeProvider.allCases { #expect(await h.fakes.state.calls(provider).isEmpty) }
        }
    }

    @Test func aGatewayWithClientsNeedsTheToken() async throws {
        var settings = Self.autoCreate()
        let token = "tok-cli-0123456789abcdef"
        settings.clients = [(name: "ops", token: token, upstreams: ["skyvern"])]
        try await GatewayHarness.run(settings) { h in
            for given in [nil, "tok-wrong-0123456789"] {
                await #expect {
                    _ = try await Self.withSession(h, token: given) { try await $0.run(["tsk_6000001"]) }
                } throws: { error in
                    let error = try #require(error as? CancelCommandError)
                    return error.kind == .unauthorized && error.exitCode == 2 && error.message.contains("CANCELGATE_TOKEN")
                        && !error.message.contains(token)
                }
            }
            let report = try await Self.withSession(h, token: token) { try await $0.run(["tsk_6000001", TestIDs.meibel()]) }
            #expect(report.results.map(\.outcome.rawValue) == ["cancelled", "forbidden"])
            #expect(report.exitCode == 1)
        }
    }

    @Test func noGatewayIsAConnectionError() async throws {
        // Port 1 (tcpmux) has no listener on a build machine, and an unprivileged test cannot open one.
        await #expect {
            _ = try await Self.withSession(server: "http://127.0.0.1:1") { try await $0.run(["tsk_1"]) }
        } throws: { ($0 as? CancelCommandError)?.kind == .connection && ($0 as? CancelCommandError)?.exitCode == 2 }
    }

    @Test func aServerThatIsNotAGatewayIsAConnectionError() async throws {
        let router = Router()
        router.get("v1/upstreams") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: .init(string: "<html>")))
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: Logger(label: "not-a-gateway", factory: { _ in SwiftLogNoOpLogHandler() }))
        _ = try await app.test(.live) { client in
            await #expect {
                _ = try await Self.withSession(server: "http://127.0.0.1:\(try #require(client.port))") { try await $0.run(["tsk_1"]) }
            } throws: { error in
                let error = try #require(error as? CancelCommandError)
                return error.kind == .connection && error.message.contains("not its JSON")
            }
        }
    }
}
