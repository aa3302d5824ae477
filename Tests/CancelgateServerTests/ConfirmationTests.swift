import CancelgateWire
import CancelgateCore
import CancelgateFakes
import Foundation
import Testing

/// Confirmed cancellation (CONTRACT §7) against the fakes' asynchronous stops: C1's terminate and
/// Meibel's cancel are accepted at once and the run stops later.
@Suite struct ConfirmationTests {
    static func settings(maxWaitMs: Int = 10_000, requestTimeoutMs: Int = 10_000, upstreamKeys: String = "") -> GatewayHarness.Settings {
        var settings = GatewayHarness.Settings()
        settings.requestTimeoutMs = requestTimeoutMs
        settings.serverKeys = #""confirm_interval_ms": 20, "confirm_max_wait_ms": \#(maxWaitMs)"#
        settings.upstreamKeys = upstreamKeys
        return settings
    }

    @Test func asynchronousStopsEndCancelledAndConfirmed() async throws {
        try await GatewayHarness.run(Self.settings(), seed: { state in
            await state.seed(.c1, id: "501", status: "PROCESS_STEP")
            await state.seed(.meibel, id: "bex_501", status: "RUNNING")
            await state.setStopDelay(.milliseconds(150), for: .c1)
            await state.setStopDelay(.milliseconds(150), for: .meibel)
        }) { h in
            let report = try await h.cancel(GatewayHarness.body(ids: ["501", "bex_501"]), query: "?confirm=true")
            report.checkShape(expectedCount: 2)
            let (c1, meibel) = (report.results[0], report.results[1])
            #expect(c1.outcome == .cancelled, "\(c1)")
            #expect(c1.confirmed == true)
            #expect(c1.providerStatus == "AUTOMATION_EXECUTION_STATE_TERMINATE")
            #expect(c1.cancelledAt != nil, "completedAt of the read")
            #expect(meibel.outcome == .cancelled, "\(meibel)")
            #expect(meibel.confirmed == true)
            #expect(meibel.providerStatus == "CANCELED")
            #expect(report.summary.succeeded == 2)
            // The reads repeat (ConfirmationTimingTests has their schedule), the cancels do not.
            #expect(await h.cancelCalls(.c1).filter { !$0.path.hasSuffix("/token") }.count == 1)
            #expect(await h.cancelCalls(.meibel).count == 1)
        }
    }

    /// A run that does not stop before `confirm_max_wait_ms`, or before the request's deadline:
    /// answered by then, still `cancel_requested`, `confirmed: false`, with the word last read.
    /// The deadlines leave a loaded CI host time for the calls themselves (their schedule is in
    /// ConfirmationTimingTests, on a manual clock).
    @Test(arguments: [(1_000, 20_000), (60_000, 10_000)])
    func aRunThatDoesNotStopInTimeStaysRequested(limits: (maxWaitMs: Int, requestTimeoutMs: Int)) async throws {
        try await GatewayHarness.run(Self.settings(maxWaitMs: limits.maxWaitMs, requestTimeoutMs: limits.requestTimeoutMs), seed: { state in
            await state.seed(.c1, id: "601", status: "PROCESS_STEP")
            await state.seed(.c1, id: "602", status: "PROCESS_STEP")
            await state.setStopDelay(.seconds(60), for: .c1, id: "601")
        }) { h in
            let report = try await h.cancel(#"{"ids":["601","602"],"confirm":true}"#)
            report.checkShape(expectedCount: 2)
            #expect(report.results[0].outcome == .cancelRequested, "\(report.results[0])")
            #expect(report.results[0].confirmed == false)
            #expect(report.results[0].providerStatus == "AUTOMATION_EXECUTION_STATE_PROCESS_STEP")
            #expect(report.results[1].outcome == .cancelled)
            #expect(report.results[1].confirmed == true)
        }
    }

    /// Skyvern answers a completed workflow run's cancel with success; its status read still says
    /// completed, so confirmation reports the truth.
    @Test func aCompletedSkyvernWorkflowRunIsAlreadyTerminal() async throws {
        try await GatewayHarness.run(Self.settings(), seed: { state in
            await state.seed(.skyvern, id: "wr_701", status: "completed")
            await state.seed(.skyvern, id: "wr_702", status: "running")
        }) { h in
            let unconfirmed = try await h.cancel(ids: ["wr_701"])
            #expect(unconfirmed.results[0].outcome == .cancelled, "without confirmation: the provider's answer")
            #expect(unconfirmed.results[0].confirmed == nil)
            let report = try await h.cancel(GatewayHarness.body(ids: ["wr_701", "wr_702"]), query: "?confirm=1")
            #expect(report.results[0].outcome == .alreadyTerminal, "\(report.results[0])")
            #expect(report.results[0].error?.code == .alreadyTerminal)
            #expect(report.results[0].confirmed == true)
            #expect(report.results[0].providerStatus == "completed")
            #expect(report.results[1].outcome == .cancelled)
            #expect(report.results[1].providerStatus == "canceled")
            #expect(report.summary.succeeded == 1)
        }
    }

    /// An upstream's `"confirm": true` makes it the default; `?confirm=false` turns it off; items
    /// that did not succeed are never read.
    @Test func theUpstreamDefaultAndTheRequestsChoice() async throws {
        try await GatewayHarness.run(Self.settings(upstreamKeys: #""confirm": true"#), seed: { state in
            await state.seed(.meibel, id: "bex_801", status: "RUNNING")
            await state.seed(.meibel, id: "bex_802", status: "RUNNING")
            await state.seed(.meibel, id: "bex_803", status: "COMPLETED")
        }) { h in
            let byDefault = try await h.cancel(ids: ["bex_801", "bex_803", "bex_000"])
            #expect(byDefault.results[0].confirmed == true)
            #expect(byDefault.results[1].outcome == .alreadyTerminal)
            #expect(byDefault.results[1].confirmed == nil, "not cancelled: not confirmed")
            #expect(byDefault.results[2].outcome == .notFound)
            #expect(await h.fakes.state.calls(.meibel).filter(\.isStatusRead).map(\.ids) == [["bex_801"]])
            let off = try await h.cancel(GatewayHarness.body(ids: ["bex_802"]), query: "?confirm=false")
            #expect(off.results[0].outcome == .cancelled)
            #expect(off.results[0].confirmed == nil)
            #expect(await h.fakes.state.calls(.meibel).filter(\.isStatusRead).count == 1)
            _ = try BadInputTests.problem(try await h.post(#"{"ids":["bex_1"]}"#, query: "?confirm=maybe"), status: 422)
            _ = try BadInputTests.problem(try await h.post(#"{"ids":["bex_1"],"confirm":"yes"}"#), status: 422)
        }
    }

    @Test func metricsCountReadsAndConfirmations() async throws {
        try await GatewayHarness.run(Self.settings(maxWaitMs: 1_000), seed: { state in
            await state.seed(.c1, id: "901", status: "PROCESS_STEP")
            await state.seed(.c1, id: "903", status: "PROCESS_STEP")
            await state.seed(.skyvern, id: "wr_902", status: "completed")
            await state.setStopDelay(.seconds(600), for: .c1, id: "901")
        }) { h in
            _ = try await h.cancel(GatewayHarness.body(ids: ["901", "wr_902", "903"]), query: "?confirm=true")
            _ = try await h.status(#"{"ids":["903"]}"#)
            let text = try await h.scrape()
            #expect(text.contains(#"cancelgate_status_reads_total{upstream="c1",state="running"}"#), "\(text)")
            #expect(text.contains(#"cancelgate_status_reads_total{upstream="c1",state="cancelled"} 2"#))
            #expect(text.contains(#"cancelgate_confirmations_total{upstream="c1",result="cancelled"} 1"#))
            #expect(text.contains(#"cancelgate_confirmations_total{upstream="c1",result="unconfirmed"} 1"#))
            #expect(text.contains(#"cancelgate_confirmations_total{upstream="skyvern",result="already_terminal"} 1"#))
        }
    }
}
