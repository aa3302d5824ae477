import CancelgateWire
import CancelgateCore
import CancelgateFakes
import Foundation
import Testing

/// The first cancel call reaches the fake, which cancels the run and then closes the connection
/// without answering (`cancelThenClose`, once). The gateway cannot know the call arrived, retries,
/// and hears "already cancelled": since its own lost attempt did that, the item is `cancelled`,
/// and the run was cancelled exactly once.
@Suite struct InDoubtTests {
    static func firstCallCancelsThenCloses(_ provider: FakeProvider) -> @Sendable (FakeState) async -> Void {
        { state in await state.addFaultRule(FaultRule(.cancelThenClose, times: 1), for: provider) }
    }

    @Test(arguments: ["batch", "single"])
    func kubiya(mode: String) async throws {
        let id = TestIDs.uuid()
        var settings = GatewayHarness.Settings()
        settings.kubiyaMode = mode
        try await GatewayHarness.run(settings, seed: { state in
            await state.seed(.kubiya, id: id, status: "running")
            await Self.firstCallCancelsThenCloses(.kubiya)(state)
        }) { harness in
            let report = try await harness.cancel(ids: [id])
            report.checkShape(expectedCount: 1)
            let result = report.results[0]
            #expect(result.outcome == .cancelled, "\(result)")
            #expect(result.error == nil)
            #expect(result.attempts == 2)
            #expect(await harness.fakes.state.cancellations(.kubiya, id: id) == 1)
            #expect(await harness.fakes.state.calls(.kubiya).count == 2)
        }
    }

    /// Contrast: a run that had completed answers "status: completed" on the retry, which no lost
    /// attempt of ours can have caused.
    @Test func kubiyaCompletedStaysAlreadyTerminal() async throws {
        let id = TestIDs.uuid()
        try await GatewayHarness.run(seed: { state in
            await state.seed(.kubiya, id: id, status: "completed")
            await Self.firstCallCancelsThenCloses(.kubiya)(state)
        }) { harness in
            let result = try await harness.cancel(ids: [id]).results[0]
            #expect(result.outcome == .alreadyTerminal, "\(result)")
            #expect(result.attempts == 2)
            #expect(await harness.fakes.state.cancellations(.kubiya, id: id) == 0)
        }
    }

    /// A v1 task: the bulk retry lists it as failed, and the follow-up single cancel says "already
    /// canceled": attempts are the two bulk attempts plus the follow-up. A workflow run is
    /// idempotent: the bulk retry already lists it as cancelled.
    @Test(arguments: [("tsk_\(UInt64.random(in: 1_000...9_999_999))", 3), ("wr_\(UInt64.random(in: 1_000...9_999_999))", 2)])
    func skyvern(id: String, attempts: Int) async throws {
        try await GatewayHarness.run(seed: { state in
            await state.seed(.skyvern, id: id, status: "running")
            await Self.firstCallCancelsThenCloses(.skyvern)(state)
        }) { harness in
            let result = try await harness.cancel(ids: [id]).results[0]
            #expect(result.outcome == .cancelled, "\(result)")
            #expect(result.error == nil)
            #expect(result.attempts == attempts)
            #expect(await harness.fakes.state.cancellations(.skyvern, id: id) == 1)
            #expect(await harness.fakes.state.calls(.skyvern).count == attempts)
        }
    }

    @Test func meibel() async throws {
        let id = TestIDs.meibel()
        try await GatewayHarness.run(seed: { state in
            await state.seed(.meibel, id: id, status: "RUNNING")
            await Self.firstCallCancelsThenCloses(.meibel)(state)
        }) { harness in
            let result = try await harness.cancel(ids: [id]).results[0]
            #expect(result.outcome == .cancelled, "\(result)")
            #expect(result.attempts == 2)
            #expect(await harness.fakes.state.cancellations(.meibel, id: id) == 1)
            #expect(await harness.fakes.state.calls(.meibel).count == 2)
        }
    }
}
