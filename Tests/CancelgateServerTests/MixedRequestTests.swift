import CancelgateWire
import CancelgateCore
import CancelgateFakes
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Foundation
import Testing

@Suite struct MixedRequestTests {
    /// ≥ 250 IDs over the four upstreams with duplicates, unroutable and invalid IDs.
    @Test func mixedRequestGetsOneResultPerEntryInOrder() async throws {
        let kubiya = (0..<80).map { _ in TestIDs.uuid() }
        let skyvern = (0..<70).map { _ in TestIDs.skyvernTask() }
        let meibel = (0..<40).map { _ in TestIDs.meibel() }
        let c1 = (0..<50).map { _ in TestIDs.c1() }
        var entries: [String] = []  // JSON item objects
        var expected: [Outcome] = []
        func add(_ id: String, _ outcome: Outcome, upstream: String? = nil) {
            entries.append(upstream.map { #"{"id":"\#(id)","upstream":"\#($0)"}"# } ?? #"{"id":"\#(id)"}"#)
            expected.append(outcome)
        }
        for i in 0..<80 {
            add(kubiya[i], .cancelled)
            if i < 70 { add(skyvern[i], .cancelled) }
            if i < 40 { add(meibel[i], .cancelled) }
            if i < 50 { add(c1[i], .cancelRequested) }
            // Kubiya's batch neighbours of a non-UUID ID must still be cancelled.
            if i % 10 == 5 { add("not-a-uuid-\(i)", .invalid, upstream: "kubiya") }
            if i % 16 == 3 { add("job-\(i)", .unroutable) }
            if i % 9 == 0 { add(kubiya[i / 2], .cancelled) }  // duplicate of an earlier ID
            if i % 11 == 0 { add(kubiya[i].uppercased(), .cancelled) }  // the same execution, other spelling
            if i % 13 == 0, i < 70 { add(skyvern[i], .cancelled) }
            if i % 12 == 0, i < 50 { add(c1[i], .cancelRequested) }
        }
        #expect(entries.count >= 250)
        let (allEntries, allExpected) = (entries, expected)
        let ids = Set(kubiya + skyvern + c1)
        try await GatewayHarness.run(seed: { state in
            for id in kubiya { await state.seed(.kubiya, id: id, status: "running") }
            for id in skyvern { await state.seed(.skyvern, id: id, status: "running") }
            for id in meibel { await state.seed(.meibel, id: id, status: "RUNNING") }
            for id in c1 { await state.seed(.c1, id: id, status: "PROCESS_STEP") }
        }) { harness in
            let report = try await harness.cancel(#"{"items":[\#(allEntries.joined(separator: ","))]}"#)
            report.checkShape(expectedCount: allEntries.count)
            #expect(report.results.map(\.outcome) == allExpected)
            #expect(report.summary.succeeded == allExpected.count { $0.isSuccess })
            let state = harness.fakes.state
            // Nothing sent twice, nothing sent that should not be.
            for provider in FakeProvider.allCases {
                let sent = await state.calls(provider).flatMap(\.ids)
                #expect(Set(sent.map { $0.lowercased() }).count == sent.count, "\(provider) got an ID twice")
                #expect(!sent.contains { $0.hasPrefix("not-a-uuid") || $0.hasPrefix("job-") })
            }
            for id in kubiya { #expect(await state.cancellations(.kubiya, id: id) == 1) }
            for id in meibel { #expect(await state.cancellations(.meibel, id: id) == 1) }
            #expect(ids.count == 200)
            // Kubiya got batches of at most 100.
            let batches = await state.calls(.kubiya).map(\.ids.count)
            #expect(batches.allSatisfy { $0 <= 100 })
        }
    }

    @Test func dryRunPlansAndCallsNothing() async throws {
        let running = TestIDs.uuid()
        try await GatewayHarness.run(seed: { await $0.seed(.kubiya, id: running, status: "running") }) { harness in
            let report = try await harness.cancel(
                #"{"ids":["\#(running)","tsk_5","tsk_6","42","x y"],"items":[{"id":"bex_1","upstream":"meibel"}]}"#, query: "?dry_run=true")
            report.checkShape(expectedCount: 6)
            #expect(report.dryRun)
            #expect(report.results.map(\.outcome) == [.planned, .planned, .planned, .planned, .unroutable, .planned])
            let plan = try #require(report.plan)
            #expect(plan.map(\.upstream).sorted() == ["c1", "kubiya", "meibel", "skyvern"])
            #expect(plan.first { $0.upstream == "skyvern" }?.ids == ["tsk_5", "tsk_6"])
            #expect(plan.first { $0.upstream == "c1" }?.path == "/api/v1/automation_executions/42/actions/terminate")
            #expect(plan.first { $0.upstream == "meibel" }?.path == "/batch-executions/id/bex_1/cancel")
            for provider in FakeProvider.allCases { #expect(await harness.fakes.state.calls(provider).isEmpty) }
            #expect(await harness.fakes.state.status(.kubiya, id: running) == "running")
        }
    }

    @Test func requestIDIsEchoedAndSentUpstream() async throws {
        let id = TestIDs.uuid()
        try await GatewayHarness.run(seed: { await $0.seed(.kubiya, id: id, status: "running") }) { harness in
            let response = try await harness.post(GatewayHarness.body(ids: [id, "tsk_9"]), headers: [.init("X-Request-ID")!: "trace-abc-123"])
            #expect(response.headers[.init("X-Request-ID")!] == "trace-abc-123")
            #expect(await harness.fakes.state.calls(.kubiya).map(\.requestID) == ["trace-abc-123"])
            #expect(await harness.fakes.state.calls(.skyvern).allSatisfy { $0.requestID == "trace-abc-123" })
            let generated = try await harness.post(GatewayHarness.body(ids: ["tsk_10"]))
            #expect((generated.headers[.init("X-Request-ID")!] ?? "").count >= 16)
        }
    }
}
