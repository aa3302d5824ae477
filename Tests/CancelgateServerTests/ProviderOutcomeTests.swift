import CancelgateWire
import CancelgateCore
import CancelgateFakes
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Foundation
import Testing

/// Every outcome of CONTRACT §3 each provider can produce, through the real server against the fakes.
@Suite struct ProviderOutcomeTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let provider: FakeProvider
        let id: String
        let seeded: String?
        let upstream: String?
        let outcome: Outcome
        let code: ErrorCode?
        var testDescription: String { "\(provider) \(seeded ?? "unknown") → \(outcome.rawValue)" }

        init(_ provider: FakeProvider, _ id: String, _ seeded: String?, _ outcome: Outcome, _ code: ErrorCode? = nil, upstream: String? = nil) {
            self.provider = provider
            self.id = id
            self.seeded = seeded
            self.upstream = upstream
            self.outcome = outcome
            self.code = code
        }
    }

    static let kubiyaCases: [Case] = [
        Case(.kubiya, TestIDs.uuid(), "running", .cancelled),
        Case(.kubiya, TestIDs.uuid(), "pending", .cancelled),
        Case(.kubiya, TestIDs.uuid(), "completed", .alreadyTerminal, .alreadyTerminal),
        Case(.kubiya, TestIDs.uuid(), "cancelled", .alreadyTerminal, .alreadyTerminal),
        Case(.kubiya, TestIDs.uuid(), "queued", .failed, .notCancellable),
        Case(.kubiya, TestIDs.uuid(), "paused", .failed, .notCancellable),
        Case(.kubiya, TestIDs.uuid(), nil, .notFound, .notFound),
        Case(.kubiya, "agent-execution-12", nil, .invalid, .invalidID, upstream: "kubiya"),
    ]

    static let otherCases: [Case] = [
        Case(.skyvern, "tsk_1001", "running", .cancelled),
        Case(.skyvern, "tsk_1002", "queued", .cancelled),
        Case(.skyvern, "wr_1003", "completed", .cancelled),
        Case(.skyvern, "tsk_1004", "completed", .alreadyTerminal, .alreadyTerminal),
        Case(.skyvern, "tsk_1005", "canceled", .alreadyTerminal, .alreadyTerminal),
        Case(.skyvern, "tsk_1006", nil, .notFound, .notFound),
        Case(.skyvern, "tsk_1007", "timed_out", .failed, .upstreamError),
        Case(.meibel, "bex_2001", "RUNNING", .cancelled),
        Case(.meibel, "bex_2002", "COMPLETED", .alreadyTerminal, .alreadyTerminal),
        Case(.meibel, "bex_2003", "FAILED", .alreadyTerminal, .alreadyTerminal),
        Case(.meibel, "bex_2004", "CANCELED", .cancelled),
        Case(.meibel, "bex_2005", nil, .notFound, .notFound),
        Case(.c1, "3001", "PROCESS_STEP", .cancelRequested),
        Case(.c1, "3002", "WAITING", .cancelRequested),
        Case(.c1, "3003", "FORBIDDEN", .forbidden, .forbidden),
        Case(.c1, "3004", nil, .notFound, .notFound),
        Case(.c1, "12ab", nil, .invalid, .invalidID, upstream: "c1"),
        Case(.c1, "99999999999999999999", nil, .invalid, .invalidID, upstream: "c1"),
        Case(.kubiya, "job-7", nil, .unroutable, .unroutable),
    ]

    @Test(arguments: ["batch", "single"], [kubiyaCases])
    func kubiya(mode: String, cases: [Case]) async throws {
        var settings = GatewayHarness.Settings()
        settings.kubiyaMode = mode
        try await run(cases, settings: settings)
    }

    @Test func skyvernMeibelC1() async throws {
        try await run(Self.otherCases, settings: .init())
    }

    private func run(_ cases: [Case], settings: GatewayHarness.Settings) async throws {
        try await GatewayHarness.run(settings, seed: { state in
            for c in cases { if let seeded = c.seeded { await state.seed(c.provider, id: c.id, status: seeded) } }
        }) { harness in
            let items = cases.map { c in c.upstream.map { #"{"id":"\#(c.id)","upstream":"\#($0)"}"# } ?? #"{"id":"\#(c.id)"}"# }
            let report = try await harness.cancel(#"{"items":[\#(items.joined(separator: ","))]}"#)
            report.checkShape(expectedCount: cases.count)
            for (c, result) in zip(cases, report.results) {
                #expect(result.id == c.id)
                #expect(result.outcome == c.outcome, "\(c.testDescription): \(result)")
                #expect(result.error?.code == c.code, "\(c.testDescription)")
                if c.outcome == .invalid || c.outcome == .unroutable {
                    #expect(result.attempts == 0)
                    let sent = await harness.fakes.state.calls(c.provider).flatMap(\.ids)
                    #expect(!sent.contains(c.id), "a locally rejected ID reached the upstream")
                }
            }
        }
    }
}
