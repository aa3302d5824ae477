import CancelgateWire
import CancelgateCore
import CancelgateFakes
import Foundation
import Testing

/// The first cancel call reaches the fake, which cancels the run and then closes the connection
/// without answering (`cancelThenClose`, once). The gateway cannot know the call arrived.
///
/// With status reads (the default, CONTRACT §7) it reads the run's status instead of cancelling
/// again: one cancel reached the provider, the item is `cancelled` with `provider_status`. With
/// `read_in_doubt: false` it retries, hears "already cancelled", and since its own lost attempt did
/// that, the item is `cancelled` too, after two cancels. Either way the run was cancelled once.
@Suite struct InDoubtTests {
    static func firstCallCancelsThenCloses(_ provider: FakeProvider) -> @Sendable (FakeState) async -> Void {
        { state in await state.addFaultRule(FaultRule(.cancelThenClose, times: 1), for: provider) }
    }

    static func settings(reads: Bool, kubiyaMode: String = "batch") -> GatewayHarness.Settings {
        var settings = GatewayHarness.Settings()
        settings.kubiyaMode = kubiyaMode
        if !reads { settings.upstreamKeys = #""read_in_doubt": false"# }
        return settings
    }

    /// What the two rules leave in the report and at the fake.
    static func check(
        _ result: ItemResult, _ harness: GatewayHarness, _ provider: FakeProvider, id: String, reads: Bool, plainAttempts: Int = 2,
        word: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        #expect(result.outcome == .cancelled, "\(result)", sourceLocation: sourceLocation)
        #expect(result.error == nil, sourceLocation: sourceLocation)
        #expect(await harness.fakes.state.cancellations(provider, id: id) == 1, sourceLocation: sourceLocation)
        let calls = await harness.fakes.state.calls(provider)
        if reads {
            #expect(result.attempts == 1, "one cancel reached the provider", sourceLocation: sourceLocation)
            #expect(calls.filter { !$0.isStatusRead }.count == 1, sourceLocation: sourceLocation)
            #expect(calls.filter(\.isStatusRead).map(\.ids) == [[id]], sourceLocation: sourceLocation)
            #expect(result.providerStatus == word, sourceLocation: sourceLocation)
        } else {
            #expect(result.attempts == plainAttempts, sourceLocation: sourceLocation)
            #expect(calls.count == plainAttempts, "no status read", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: ["batch", "single"], [true, false])
    func kubiya(mode: String, reads: Bool) async throws {
        let id = TestIDs.uuid()
        try await GatewayHarness.run(Self.settings(reads: reads, kubiyaMode: mode), seed: { state in
            await state.seed(.kubiya, id: id, status: "running")
            await Self.firstCallCancelsThenCloses(.kubiya)(state)
        }) { harness in
            let report = try await harness.cancel(ids: [id])
            report.checkShape(expectedCount: 1)
            await Self.check(report.results[0], harness, .kubiya, id: id, reads: reads, word: "cancelled")
        }
    }

    /// A whole Kubiya batch in doubt: every ID is read, none is cancelled twice, and only the one
    /// that still runs (its cancel failed upstream) is sent again.
    @Test func aKubiyaBatchInDoubtIsReadPerIDAndOnlyTheRunningOneIsResent() async throws {
        let ids = (0..<5).map { _ in TestIDs.uuid() }
        try await GatewayHarness.run(seed: { state in
            for id in ids { await state.seed(.kubiya, id: id, status: "running") }
            await state.seed(.kubiya, id: ids[4], status: "queued")
            await Self.firstCallCancelsThenCloses(.kubiya)(state)
        }) { harness in
            let report = try await harness.cancel(ids: ids)
            report.checkShape(expectedCount: 5)
            #expect(report.results[0..<4].allSatisfy { $0.outcome == .cancelled && $0.attempts == 1 }, "\(report.results)")
            // Queued executions cannot be terminated: it reads running, is sent again, and fails as Kubiya says.
            #expect(report.results[4].error?.code == .notCancellable)
            #expect(report.results[4].attempts == 2)
            for id in ids[0..<4] { #expect(await harness.fakes.state.cancellations(.kubiya, id: id) == 1) }
            let cancels = await harness.cancelCalls(.kubiya)
            #expect(cancels.map(\.ids) == [ids, [ids[4]]])
            #expect(await harness.fakes.state.calls(.kubiya).filter(\.isStatusRead).count == 5)
        }
    }

    /// Contrast: a run that had completed, which no lost attempt of ours can have cancelled.
    @Test(arguments: [true, false])
    func kubiyaCompletedStaysAlreadyTerminal(reads: Bool) async throws {
        let id = TestIDs.uuid()
        try await GatewayHarness.run(Self.settings(reads: reads), seed: { state in
            await state.seed(.kubiya, id: id, status: "completed")
            await Self.firstCallCancelsThenCloses(.kubiya)(state)
        }) { harness in
            let result = try await harness.cancel(ids: [id]).results[0]
            #expect(result.outcome == .alreadyTerminal, "\(result)")
            #expect(result.attempts == (reads ? 1 : 2))
            #expect(await harness.fakes.state.cancellations(.kubiya, id: id) == 0)
        }
    }

    /// Without reads, a v1 task's bulk retry lists it as failed and the follow-up single cancel says
    /// "already canceled" (three attempts); a workflow run is idempotent (two).
    @Test(arguments: [("tsk_\(UInt64.random(in: 1_000...9_999_999))", 3), ("wr_\(UInt64.random(in: 1_000...9_999_999))", 2)], [true, false])
    func skyvern(run: (id: String, attempts: Int), reads: Bool) async throws {
        try await GatewayHarness.run(Self.settings(reads: reads), seed: { state in
            await state.seed(.skyvern, id: run.id, status: "running")
            await Self.firstCallCancelsThenCloses(.skyvern)(state)
        }) { harness in
            let result = try await harness.cancel(ids: [run.id]).results[0]
            await Self.check(result, harness, .skyvern, id: run.id, reads: reads, plainAttempts: run.attempts, word: "canceled")
        }
    }

    @Test(arguments: [true, false])
    func meibel(reads: Bool) async throws {
        let id = TestIDs.meibel()
        try await GatewayHarness.run(Self.settings(reads: reads), seed: { state in
            await state.seed(.meibel, id: id, status: "RUNNING")
            await Self.firstCallCancelsThenCloses(.meibel)(state)
        }) { harness in
            let result = try await harness.cancel(ids: [id]).results[0]
            await Self.check(result, harness, .meibel, id: id, reads: reads, word: "CANCELED")
        }
    }
}
