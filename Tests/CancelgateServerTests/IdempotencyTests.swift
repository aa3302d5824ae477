import CancelgateWire
import CancelgateCore
import CancelgateFakes
import CurlClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import InMemoryLogging
import Logging
import NIOCore
import Testing

/// `Idempotency-Key` through the real server and the fakes: per caller, same request → the stored
/// report and no upstream call, another request → 422, still running → 409.
@Suite struct IdempotencyTests {
    static let key = HTTPField.Name("Idempotency-Key")!
    static let replayed = HTTPField.Name("Idempotent-Replayed")!
    static let requestID = HTTPField.Name("X-Request-ID")!

    static func report(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> CancelReport {
        #expect(response.status == .ok, "\(String(buffer: response.body))", sourceLocation: sourceLocation)
        return try JSONDecoder().decode(CancelReport.self, from: Data(response.body.readableBytesView))
    }

    @Test func sameRequestIsReplayedWithoutCallingUpstream() async throws {
        let meibel = [TestIDs.meibel(), TestIDs.meibel()]
        try await GatewayHarness.run(seed: { state in
            for id in meibel { await state.seed(.meibel, id: id, status: "RUNNING") }
            await state.seed(.skyvern, id: "tsk_5", status: "running")
        }) { h in
            let body = #"{"reason":"rollback","ids":["\#(meibel[0])","\#(meibel[1])"],"items":[{"id":"tsk_5"}]}"#
            let first = try await h.post(body, headers: [Self.key: "deploy-42", Self.requestID: "first-request"])
            let report = try Self.report(first)
            report.checkShape(expectedCount: 3)
            #expect(report.results.allSatisfy { $0.outcome.isSuccess })
            #expect(first.headers[Self.replayed] == nil)
            let meibelCalls = await h.fakes.state.calls(.meibel).count
            let skyvernCalls = await h.fakes.state.calls(.skyvern).count

            // The same request in another spelling, with another X-Request-ID.
            let again = #"""
                { "items": [ { "id": "tsk_5" } ],
                  "ids": [ "\#(meibel[0])", "\#(meibel[1])" ], "reason": "rollback" }
                """#
            let second = try await h.post(again, headers: [Self.key: "deploy-42", Self.requestID: "second-request"])
            #expect(try Self.report(second) == report)
            #expect(second.headers[Self.replayed] == "true")
            #expect(second.headers[Self.requestID] == "first-request")
            #expect(await h.fakes.state.calls(.meibel).count == meibelCalls)
            #expect(await h.fakes.state.calls(.skyvern).count == skyvernCalls)
            let replay = h.logs.entries.first { "\($0.message)" == "idempotent replay" }
            #expect(replay?.level == .info)
            #expect(replay?.metadata["request.id"] == "first-request")
            #expect(replay?.metadata["replay.request_id"] == "second-request")

            // Without the key, the same body is a new request.
            let fresh = try await h.post(body)
            #expect(fresh.headers[Self.replayed] == nil)
            #expect(try Self.report(fresh).requestID != report.requestID)
            #expect(await h.fakes.state.calls(.meibel).count == meibelCalls + 2)
        }
    }

    @Test func sameKeyWithAnotherRequestIs422() async throws {
        try await GatewayHarness.run(seed: { await $0.seed(.skyvern, id: "tsk_1", status: "running") }) { h in
            _ = try Self.report(try await h.post(#"{"ids":["tsk_1"]}"#, headers: [Self.key: "k1"]))
            let calls = await h.fakes.state.calls(.skyvern).count
            for (body, query) in [(#"{"ids":["tsk_2"]}"#, ""), (#"{"ids":["tsk_1"],"reason":"other"}"#, ""), (#"{"ids":["tsk_1"]}"#, "?dry_run=true")] {
                let problem = try BadInputTests.problem(try await h.post(body, query: query, headers: [Self.key: "k1"]), status: 422)
                #expect(problem.errors.map(\.pointer) == [""])
                #expect(problem.errors.first?.message.contains("Idempotency-Key was already used with another request body") == true)
            }
            #expect(await h.fakes.state.calls(.skyvern).count == calls)
        }
    }

    @Test func sameKeyWhileTheFirstIsRunningIs409() async throws {
        let id = TestIDs.meibel()
        try await GatewayHarness.run(seed: { state in
            await state.seed(.meibel, id: id, status: "RUNNING")
            await state.setFault(.hang, for: .meibel)
        }) { h in
            let body = GatewayHarness.body(ids: [id])
            async let first = h.post(body, headers: [Self.key: "slow"])
            await h.fakes.state.waitUntilHeld(1)
            // The test client has one connection, busy with the first request: the second comes through curl.
            let client = try CurlClient()
            defer { client.shutdown() }
            let second = try await client.execute(
                CurlRequest(
                    method: "POST", url: "http://127.0.0.1:\(try #require(h.gateway.port))/v1/cancel",
                    headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Idempotency-Key", "slow")], body: Data(body.utf8)))
            #expect(second.status == 409)
            #expect(second.header("Content-Type") == "application/problem+json")
            let conflict = try JSONDecoder().decode(BadInputTests.ProblemBody.self, from: second.body)
            #expect(conflict.status == 409)
            #expect(conflict.detail.contains("still running"))
            await h.fakes.state.releaseHangs()
            let report = try Self.report(try await first)
            #expect(report.results.first?.outcome.isSuccess == true)
            let replay = try await h.post(body, headers: [Self.key: "slow"])
            #expect(try Self.report(replay) == report)
            #expect(replay.headers[Self.replayed] == "true")
            #expect(await h.fakes.state.calls(.meibel).count == 1)
        }
    }

    @Test func keysBelongToTheirCaller() async throws {
        var settings = GatewayHarness.Settings()
        let upstreams = ["kubiya", "skyvern", "meibel", "c1"]
        settings.clients = [(name: "alice", token: "tok-alice-0123456789", upstreams: upstreams), (name: "bob", token: "tok-bob-0123456789", upstreams: upstreams)]
        try await GatewayHarness.run(settings, seed: { state in
            await state.seed(.skyvern, id: "tsk_1", status: "running")
            await state.seed(.skyvern, id: "tsk_2", status: "running")
        }) { h in
            let alice: HTTPFields = [.authorization: "Bearer tok-alice-0123456789", Self.key: "shared-key"]
            let bob: HTTPFields = [.authorization: "Bearer tok-bob-0123456789", Self.key: "shared-key"]
            let aliceReport = try Self.report(try await h.post(#"{"ids":["tsk_1"]}"#, headers: alice))
            // Bob's key of the same name is his own: another body is no mismatch, the same body no replay.
            let bobOther = try await h.post(#"{"ids":["tsk_2"]}"#, headers: bob)
            #expect(try Self.report(bobOther).results.first?.outcome == .cancelled)
            #expect(bobOther.headers[Self.replayed] == nil)
            var bobSame = bob
            bobSame[Self.key] = "bob-second"
            let bobFresh = try await h.post(#"{"ids":["tsk_1"]}"#, headers: bobSame)
            #expect(try Self.report(bobFresh).results.first?.outcome == .alreadyTerminal)
            #expect(bobFresh.headers[Self.replayed] == nil)
            let calls = await h.fakes.state.calls(.skyvern).count
            let aliceAgain = try await h.post(#"{"ids":["tsk_1"]}"#, headers: alice)
            #expect(try Self.report(aliceAgain) == aliceReport)
            #expect(aliceAgain.headers[Self.replayed] == "true")
            #expect(await h.fakes.state.calls(.skyvern).count == calls)
        }
    }

    @Test func requestLevelErrorsDoNotUseTheKey() async throws {
        try await GatewayHarness.run(seed: { await $0.seed(.skyvern, id: "tsk_1", status: "running") }) { h in
            let key: HTTPFields = [Self.key: "retry-me"]
            _ = try BadInputTests.problem(try await h.post(#"{"ids": ["tsk_1", }"#, headers: key), status: 400)
            _ = try BadInputTests.problem(try await h.post(#"{"ids":[]}"#, headers: key), status: 422)
            _ = try BadInputTests.problem(try await h.post(#"{"ids":["tsk_1"]}"#, headers: key, contentType: "text/plain"), status: 415)
            _ = try BadInputTests.problem(try await h.post(#"{"ids":["tsk_1"]}"#, query: "?dry_run=maybe", headers: key), status: 422)
            var badRequestID = key
            badRequestID[Self.requestID] = String(repeating: "x", count: 201)
            _ = try BadInputTests.problem(try await h.post(#"{"ids":["tsk_1"]}"#, headers: badRequestID), status: 422)
            let response = try await h.post(#"{"ids":["tsk_1"]}"#, headers: key)
            #expect(try Self.report(response).results.first?.outcome == .cancelled)
            #expect(response.headers[Self.replayed] == nil)
        }
    }

    /// The caller gives up (its client is closed) while an upstream holds the call: the gateway
    /// still finishes the request and stores its report, so the caller's retry with the same key
    /// gets every item without a second upstream call.
    @Test(.timeLimit(.minutes(1)))
    func reportIsStoredWhenTheCallerHasGone() async throws {
        let store = RecordingIdempotencyStore()
        var settings = GatewayHarness.Settings()
        settings.idempotencyStore = store
        let meibel = (0..<3).map { _ in TestIDs.meibel() }
        try await GatewayHarness.run(settings, seed: { state in
            for id in meibel { await state.seed(.meibel, id: id, status: "RUNNING") }
            await state.seed(.skyvern, id: "tsk_9", status: "running")
            await state.setFault(.hang, for: .meibel)
        }) { h in
            let body = GatewayHarness.body(ids: meibel + ["tsk_9"])
            let port = try #require(h.gateway.port)
            let caller = try CurlClient()
            let request = CurlRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/v1/cancel",
                headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Idempotency-Key", "gone")], body: Data(body.utf8))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do throws(CurlError) {
                        _ = try await caller.execute(request)
                        Issue.record("the caller should have given up before an answer")
                    } catch {
                        #expect(error.kind == .cancelled)
                    }
                }
                await h.fakes.state.waitUntilHeld(meibel.count)
                group.cancelAll()
                try await group.waitForAll()
            }
            // Closes every connection the caller had: the gateway's client is gone for good.
            await caller.shutdown()
            #expect(await store.completions == 0)
            await h.fakes.state.releaseHangs()
            await store.waitForCompletions(1)

            let retry = try await h.post(body, headers: [Self.key: "gone"])
            #expect(retry.headers[Self.replayed] == "true")
            let report = try Self.report(retry)
            report.checkShape(expectedCount: 4)
            #expect(report.results.allSatisfy { $0.outcome.isSuccess }, "\(report.results)")
            #expect(await h.fakes.state.calls(.meibel).count == meibel.count)
            #expect(await h.fakes.state.calls(.skyvern).count == 1)
        }
    }
}

/// The application's in-memory store, telling the test when a report has been stored.
actor RecordingIdempotencyStore: IdempotencyStore {
    private let inner = InMemoryIdempotencyStore(maxEntries: 100)
    private(set) var completions = 0
    private var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    func begin(scope: String, key: String, fingerprint: String) async -> IdempotencyBegin {
        await inner.begin(scope: scope, key: key, fingerprint: fingerprint)
    }

    func complete(scope: String, key: String, fingerprint: String, report: CancelReport) async {
        await inner.complete(scope: scope, key: key, fingerprint: fingerprint, report: report)
        completions += 1
        let ready = waiters.filter { $0.count <= completions }
        waiters.removeAll { $0.count <= completions }
        for waiter in ready { waiter.continuation.resume() }
    }

    func abandon(scope: String, key: String) async {
        await inner.abandon(scope: scope, key: key)
    }

    /// Returns once at least `count` reports have been stored.
    func waitForCompletions(_ count: Int) async {
        guard completions < count else { return }
        await withCheckedContinuation { waiters.append((count, $0)) }
    }
}
