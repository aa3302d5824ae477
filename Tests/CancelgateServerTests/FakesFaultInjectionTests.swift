import CancelgateFakes
import CurlClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The fault kinds added for chaos runs, seen at the HTTP level of the fakes, plus the rule mechanics
/// (seeded probability, `times`, order). The older kinds are covered by `FakesFaultTests`.
@Suite struct FakesFaultInjectionTests {
    static let meibel = FakesMeibelTests.cancel
    static let retryAfter = HTTPField.Name("Retry-After")!

    @Test(arguments: [RetryAfter.seconds(2), .httpDate("Wed, 21 Oct 2026 07:28:00 GMT")])
    func rateLimitAnswers429WithRetryAfter(retryAfter: RetryAfter) async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.setFault(.rateLimited(retryAfter: retryAfter), for: .meibel)
            await h.state.setFault(.rateLimited(retryAfter: nil), for: .c1)
            let limited = try await h.post(Self.meibel("bex_1"), h.meibelAuth)
            #expect(limited.statusCode == 429 && limited.fastAPIDetail == "Too Many Requests")
            #expect(limited.headers[Self.retryAfter] == retryAfter.description)
            let c1 = try await h.post(FakesC1Tests.terminate("5"), h.c1Static, body: "{}")
            #expect(c1.statusCode == 429 && c1.bodyJSON["code"] as? Int == 8 && c1.headers[Self.retryAfter] == nil)
            #expect(await h.state.status(.meibel, id: "bex_1") == "RUNNING")
        }
    }

    @Test func latencyFaultAnswersNormallyAndIsCounted() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.seed(.meibel, id: "bex_2", status: "RUNNING")
            await h.state.addFaultRule(FaultRule(.latency(.milliseconds(5)), ids: ["bex_1"]), for: .meibel)
            let delayed = try await h.post(Self.meibel("bex_1"), h.meibelAuth)
            #expect(delayed.statusCode == 200 && delayed.bodyJSON["status"] as? String == "CANCELED")
            #expect(try await h.post(Self.meibel("bex_2"), h.meibelAuth).statusCode == 200)
            #expect(await h.state.faultsInjected() == [.meibel: 1])
        }
    }

    @Test func closeAfterBodyCancelsThenCutsTheAnswerShort() async throws {
        try await FakesHarness.run(.live) { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.setFault(.closeAfterBody, for: .meibel)
            let error = await #expect(throws: CurlError.self) { try await Self.curl(h, Self.meibel("bex_1")) }
            #expect(error?.kind == .connectionClosed, "\(String(describing: error))")
            #expect(await h.state.status(.meibel, id: "bex_1") == "CANCELED")
            #expect(await h.state.faultsInjected() == [.meibel: 1])
        }
    }

    @Test func slowBodyTricklesTheWholeRealAnswer() async throws {
        try await FakesHarness.run(.live) { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            // 10 chunks of the ~400-byte answer, and room: under the thread sanitizer, beside the
            // rest of the suite, each 1 ms pause between chunks can wait long for a pool thread
            // (6.6 s to over 10 s, curl's default timeout here, were seen for 57 chunks).
            await h.state.setFault(.slowBody(chunkBytes: 40, interval: .milliseconds(1)), for: .meibel)
            let response = try await Self.curl(h, Self.meibel("bex_1"), timeout: .seconds(60))
            let json = try JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            #expect(response.status == 200 && json?["id"] as? String == "bex_1" && json?["status"] as? String == "CANCELED")
            #expect(response.header("Content-Length") == String(response.body.count))
        }
    }

    /// The head and first chunk come at once, the rest (about ten more chunks a second apart) far slower than
    /// the client waits: the upstream has acted, the client has no answer. The 1 s client timeout leaves the
    /// fake ample time to act even under the thread sanitizer.
    @Test func slowBodyOutlastsAShortClientTimeout() async throws {
        try await FakesHarness.run(.live) { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.setFault(.slowBody(chunkBytes: 48, interval: .seconds(1)), for: .meibel)
            let error = await #expect(throws: CurlError.self) { try await Self.curl(h, Self.meibel("bex_1"), timeout: .seconds(1)) }
            #expect(error?.kind == .timeout)
            #expect(await h.state.status(.meibel, id: "bex_1") == "CANCELED")
        }
    }

    @Test func seededErrorRateIsReproducible() async throws {
        let first = try await Self.errorRateStatuses(seed: 42)
        let again = try await Self.errorRateStatuses(seed: 42)
        let other = try await Self.errorRateStatuses(seed: 43)
        #expect(first.statuses == again.statuses && first.injected == again.injected)
        #expect(first.statuses != other.statuses)
        #expect(first.statuses.contains(503) && first.statuses.contains(200))
        #expect(first.injected == first.statuses.filter { $0 == 503 }.count)
        #expect(first.restarted == first.statuses, "setSeed restarts the same sequence")
    }

    /// 40 calls under a 50% 503 rule, then `setSeed` with the same seed and 40 more.
    static func errorRateStatuses(seed: UInt64) async throws -> (statuses: [Int], injected: Int, restarted: [Int]) {
        let fakes = FakeUpstreams(seed: seed, faults: [.meibel: [FaultRule(.status(503), probability: 0.5)]])
        return try await fakes.buildApplication().test(.router) { client in
            let h = FakesHarness(fakes: fakes, client: client)
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            var statuses: [Int] = []
            for _ in 0..<40 { statuses.append(try await h.post(Self.meibel("bex_1"), h.meibelAuth).statusCode) }
            let injected = await h.state.faultsInjected()[.meibel] ?? 0
            await h.state.setSeed(seed)
            var restarted: [Int] = []
            for _ in 0..<40 { restarted.append(try await h.post(Self.meibel("bex_1"), h.meibelAuth).statusCode) }
            return (statuses, injected, restarted)
        }
    }

    @Test func timesLimitsARuleAndItGoesAway() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.addFaultRule(FaultRule(.status(500), times: 2), for: .meibel)
            var statuses: [Int] = []
            for _ in 0..<3 { statuses.append(try await h.post(Self.meibel("bex_1"), h.meibelAuth).statusCode) }
            #expect(statuses == [500, 500, 200])
            #expect(await h.state.faultRules().isEmpty)
            #expect(await h.state.faultsInjected() == [.meibel: 2])
        }
    }

    /// The in-doubt case: the first call cancels and loses its answer, the retry gets the real answer.
    @Test func cancelThenCloseOnceThenTheRealAnswer() async throws {
        try await FakesHarness.run(.live) { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.addFaultRule(FaultRule(.cancelThenClose, ids: ["bex_1"], times: 1), for: .meibel)
            let error = await #expect(throws: CurlError.self) { try await Self.curl(h, Self.meibel("bex_1")) }
            #expect(error?.kind == .connectionClosed)
            let retry = try await Self.curl(h, Self.meibel("bex_1"))
            let json = try JSONSerialization.jsonObject(with: retry.body) as? [String: Any]
            #expect(retry.status == 200 && json?["status"] as? String == "CANCELED")
            #expect(await h.state.cancellations(.meibel, id: "bex_1") == 1)
        }
    }

    @Test func idRulesComeBeforeProviderWideOnesAndSetFaultReplacesPerID() async throws {
        try await FakesHarness.run { h in
            for id in ["bex_1", "bex_2"] { await h.state.seed(.meibel, id: id, status: "RUNNING") }
            await h.state.setFault(.status(503), for: .meibel)
            await h.state.setFault(.status(502), for: .meibel, ids: ["bex_1", "bex_2"])
            await h.state.setFault(.status(504), for: .meibel, ids: ["bex_2"])
            var statuses: [Int] = []
            for id in ["bex_1", "bex_2", "bex_3"] { statuses.append(try await h.post(Self.meibel(id), h.meibelAuth).statusCode) }
            #expect(statuses == [502, 504, 503])
            await h.state.setFault(nil, for: .meibel, ids: ["bex_1", "bex_2"])
            let after = try await h.post(Self.meibel("bex_1"), h.meibelAuth)
            #expect(after.statusCode == 503)
            #expect(await h.state.faultRules()[.meibel] == [FaultRule(.status(503))])
        }
    }

    @Test func rulesAndSeedGivenAtStart() async {
        let rule = FaultRule(.hang, ids: ["bex_1"], probability: 0.5, times: 3)
        let state = FakeState(seed: 9, faults: [.meibel: [rule]])
        #expect(await state.faultRules() == [.meibel: [rule]])
        #expect(await state.faultSeed == 9)
        #expect(await state.faultsInjected().isEmpty)
    }

    static func curl(_ h: FakesHarness, _ path: String, timeout: Duration = .seconds(10)) async throws(CurlError) -> CurlResponse {
        let client = try CurlClient()
        defer { client.shutdown() }
        let url = "http://127.0.0.1:\(h.client.port ?? 0)\(path)"
        let headers = h.meibelAuth.map { HTTPHeader($0.key, $0.value) }
        return try await client.execute(CurlRequest(method: "POST", url: url, headers: headers, timeout: timeout))
    }
}
