import CancelgateWire
import CancelgateCore
import CancelgateFakes
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Foundation
import Testing

/// An upstream that hangs, answers 500, answers garbage or closes the connection: its items fail
/// with a clear code after as many attempts as its retry rules allow (3 by default), the other
/// upstreams' items are unaffected.
/// Serialized, with timeouts of whole seconds: 36 gateways at once under the thread sanitizer on
/// two cores made healthy calls miss a 0.7 s timeout.
@Suite(.serialized) struct UpstreamFaultTests {
    /// Each fault of the fakes, with the error code its items end with (nil: the items still succeed).
    static let faults: [(FakeFault, ErrorCode?, Bool)] = [
        (.hang, .upstreamTimeout, true),
        (.status(500), .upstreamError, true),
        (.status(503), .upstreamUnavailable, true),
        (.rateLimited(retryAfter: .seconds(0)), .rateLimited, true),
        (.garbage, .badResponse, false),
        (.closeConnection, .connectionClosed, true),
        // Cancels, then cuts the answer short on every attempt: in doubt until the end.
        (.closeAfterBody, .connectionClosed, true),
        (.latency(.milliseconds(50)), nil, false),
        (.slowBody(chunkBytes: 16, interval: .milliseconds(2)), nil, false),
    ]

    /// Timeouts, lost connections and 503 are retried everywhere; 500 only where the provider means
    /// "try again" by it (C1); a 200 with garbage never.
    /// A closed connection may also make libcurl resend once per attempt on a fresh connection
    /// (when the dead one was reused); the gateway counts each send. A hang is a timeout after the
    /// call went out: in doubt, so each one is followed by status reads (which hang too) before
    /// the next cancel, and the request's deadline may come first.
    static func expectedAttempts(_ fault: FakeFault, _ provider: FakeProvider) -> ClosedRange<Int> {
        switch fault {
        case .hang: 1...3
        case .status(500): provider == .c1 ? 3...3 : 1...1
        case .garbage: 1...1
        case .closeConnection, .closeAfterBody: 3...6
        case .latency, .slowBody: 1...1
        default: 3...3
        }
    }

    @Test(arguments: FakeProvider.allCases, 0..<faults.count)
    func faultyUpstreamFailsOnlyItsOwnItems(provider: FakeProvider, faultIndex: Int) async throws {
        let (fault, code, retryable) = Self.faults[faultIndex]
        let ids: [FakeProvider: String] = [.kubiya: TestIDs.uuid(), .skyvern: "tsk_77", .meibel: "bex_77", .c1: "77"]
        var settings = GatewayHarness.Settings()
        settings.upstreamTimeoutMs = 2_000
        settings.requestTimeoutMs = 15_000
        try await GatewayHarness.run(settings, seed: { state in
            await state.seed(.kubiya, id: ids[.kubiya]!, status: "running")
            await state.seed(.skyvern, id: "tsk_77", status: "running")
            await state.seed(.meibel, id: "bex_77", status: "RUNNING")
            await state.seed(.c1, id: "77", status: "PROCESS_STEP")
            await state.setFault(fault, for: provider)
        }) { harness in
            let order: [FakeProvider] = [.kubiya, .skyvern, .meibel, .c1]
            let report = try await harness.cancel(ids: order.map { ids[$0]! })
            report.checkShape(expectedCount: 4)
            for (p, result) in zip(order, report.results) {
                if p == provider, code == nil {
                    #expect(result.outcome.isSuccess, "\(p) \(fault): \(result)")
                    #expect(result.attempts == 1)
                } else if p == provider {
                    #expect(result.outcome == .failed, "\(p) \(fault): \(result)")
                    let codes: Set<ErrorCode?> = fault == .hang ? [code, .deadlineExceeded] : [code]
                    #expect(codes.contains(result.error?.code), "\(p) \(fault): \(result)")
                    #expect(result.retryable == retryable)
                    #expect(Self.expectedAttempts(fault, provider).contains(result.attempts), "\(p) \(fault): \(result)")
                } else {
                    #expect(result.outcome.isSuccess, "\(p) should be unaffected by \(provider)'s \(fault): \(result)")
                    #expect(result.attempts == 1)
                }
            }
        }
    }

    /// The request deadline is shorter than the upstream timeout: the hung items still get a result.
    @Test func requestDeadlineAnswersForHungItems() async throws {
        var settings = GatewayHarness.Settings()
        settings.upstreamTimeoutMs = 60_000
        settings.requestTimeoutMs = 3_000
        let ids = (0..<30).map { _ in TestIDs.meibel() }
        try await GatewayHarness.run(settings, seed: { state in
            for id in ids { await state.seed(.meibel, id: id, status: "RUNNING") }
            await state.seed(.skyvern, id: "tsk_1", status: "running")
            await state.setFault(.hang, for: .meibel, ids: [ids[3]])
        }) { harness in
            let report = try await harness.cancel(ids: ids + ["tsk_1"])
            report.checkShape(expectedCount: 31)
            #expect(report.results[3].outcome == .failed)
            #expect(report.results[3].retryable)
            #expect([ErrorCode.deadlineExceeded, .upstreamTimeout].contains(report.results[3].error?.code))
            #expect(report.results[30].outcome == .cancelled)
            #expect(report.results.filter { $0.outcome == .cancelled }.count >= 8)
        }
    }
}
