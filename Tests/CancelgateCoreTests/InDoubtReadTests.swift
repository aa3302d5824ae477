import CancelgateWire
@testable import CurlClient
import Foundation
import Logging
import Testing

@testable import CancelgateCore

/// CONTRACT §7's in-doubt rule through `CancelService` against a scripted transport: an attempt
/// whose answer was lost is followed by a status read, and a second cancel only goes out for a
/// run that still runs (or whose status cannot be read).
@Suite struct InDoubtReadTests {
    typealias Script = RetryLayerTests.ScriptedTransport
    static let kubiyaID = RetryLayerTests.kubiyaID
    static let otherID = "9b2d1c4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"

    static func kubiyaExecution(_ status: String) -> String {
        #"{"id":"e","status":"\#(status)","completed_at":"2026-11-23T16:20:08.512406+00:00"}"#
    }

    /// - Parameter sentBefore: IDs whose cancel a job's earlier runner may have sent (`CancelEntry.sentBefore`).
    static func cancel(
        _ ids: [String], provider: ProviderKind, mode: CallMode = .batch, maxAttempts: Int = 3, sentBefore: Set<String> = [],
        readInDoubt: Bool = true, _ transport: Script
    ) async -> [ItemResult] {
        let upstream = UpstreamConfig(
            name: provider.rawValue, provider: provider, baseURL: "http://upstream.test", mode: mode, concurrency: 1,
            retry: RetryConfig(maxAttempts: maxAttempts, baseDelayMs: 1, maxDelayMs: 5), readInDoubt: readInDoubt)
        let config = RoutesConfig(server: ServerConfig(requestTimeoutMs: 5_000), upstreams: [upstream])
        let service = CancelService(config: config, dispatcher: Dispatcher(config: config, transport: transport, unitRandom: { 1 }))
        let request = CancelRequest(
            requestID: "r", reason: "test", entries: ids.map { CancelEntry(id: $0, upstream: provider.rawValue, sentBefore: sentBefore.contains($0)) })
        return await service.cancel(request, logger: Logger(label: "test")).results
    }

    @Test(arguments: [RetryLayerTests.Step.fail(.timeout, sent: true), .fail(.connectionClosed, sent: true), .answer(504, "")])
    func aLostAnswerIsReadNotResent(first: RetryLayerTests.Step) async {
        let transport = Script([first, .answer(200, Self.kubiyaExecution("cancelled"))])
        let result = await Self.cancel([Self.kubiyaID], provider: .kubiya, mode: .single, transport)[0]
        #expect(result.outcome == .cancelled)
        #expect(result.error == nil)
        #expect(result.attempts == 1, "one cancel went out")
        #expect(result.providerStatus == "cancelled")
        #expect(result.cancelledAt == "2026-11-23T16:20:08.512406+00:00")
        #expect(transport.calls == ["POST /api/v1/executions/\(Self.kubiyaID)/terminate", "GET /api/v1/executions/\(Self.kubiyaID)"])
    }

    @Test func aRunThatEndedOnItsOwnIsAlreadyTerminal() async {
        let transport = Script([.fail(.timeout, sent: true), .answer(200, #"{"id":"bex_1","status":"COMPLETED","end_time":"t"}"#)])
        let result = await Self.cancel(["bex_1"], provider: .meibel, transport)[0]
        #expect(result.outcome == .alreadyTerminal)
        #expect(result.error?.code == .alreadyTerminal)
        #expect(result.providerStatus == "COMPLETED")
        #expect(transport.calls.count == 2)
    }

    @Test func aRunStillRunningIsCancelledAgain() async {
        let transport = Script([
            .fail(.timeout, sent: true), .answer(200, #"{"id":"bex_1","status":"RUNNING"}"#), .answer(200, #"{"id":"bex_1","status":"CANCELED"}"#),
        ])
        let result = await Self.cancel(["bex_1"], provider: .meibel, transport)[0]
        #expect(result.outcome == .cancelled)
        #expect(result.attempts == 2)
        #expect(transport.calls.map { $0.prefix(4) } == ["POST", "GET ", "POST"])
    }

    /// The read itself fails every time: today's rule, the cancel is sent again, and the
    /// provider's "already cancelled" after the attempt in doubt is this request's work.
    @Test func anUnreadableStatusFallsBackToARetry() async {
        let transport = Script([
            .fail(.timeout, sent: true), .answer(503, "{}"), .answer(503, "{}"), .answer(503, "{}"),
            .answer(400, RetryLayerTests.kubiyaCancelledDetail),
        ])
        let result = await Self.cancel([Self.kubiyaID], provider: .kubiya, mode: .single, transport)[0]
        #expect(result.outcome == .cancelled)
        #expect(result.attempts == 2)
        #expect(transport.calls.filter { $0.hasPrefix("GET") }.count == 3, "reads are retried like any call")
    }

    /// No cancel may be sent again and the read shows the run still running: not in doubt any
    /// more, a plain retryable failure (`upstream_unavailable`) with the provider's word.
    @Test func noAttemptLeftAndARunningReadIsNotInDoubt() async {
        let transport = Script([.fail(.timeout, sent: true), .answer(200, #"{"id":"bex_1","status":"RUNNING"}"#)])
        let result = await Self.cancel(["bex_1"], provider: .meibel, maxAttempts: 1, transport)[0]
        #expect(result.outcome == .failed)
        #expect(result.error?.code == .upstreamUnavailable, "\(result)")
        #expect(result.error?.message.contains("still running") == true)
        #expect(result.providerStatus == "RUNNING")
        #expect(result.retryable)
        #expect(transport.calls.count == 2)
    }

    /// No cancel may be sent again and the read fails too: the lost answer's own code stands.
    @Test func noAttemptLeftAndAnUnreadableStatusKeepsTheInDoubtResult() async {
        let transport = Script([.fail(.timeout, sent: true), .answer(503, "{}"), .answer(503, "{}"), .answer(503, "{}")])
        let result = await Self.cancel(["bex_1"], provider: .meibel, maxAttempts: 1, transport)[0]
        #expect(result.outcome == .failed)
        #expect(result.error?.code == .upstreamTimeout, "\(result)")
        #expect(result.retryable)
    }

    /// A batch in doubt is read per ID; only the run still running is sent again, alone.
    @Test func aKubiyaBatchInDoubtIsReadPerID() async {
        let resent = #"{"results":[{"execution_id":"\#(Self.otherID)","success":true,"workflow_id":"w","error":null,"terminated_at":"2026-11-23T16:21:00+00:00"}]}"#
        let transport = Script([
            .answer(502, "<html>Bad Gateway</html>"), .answer(200, Self.kubiyaExecution("cancelled")), .answer(200, Self.kubiyaExecution("running")),
            .answer(200, resent),
        ])
        let results = await Self.cancel([Self.kubiyaID, Self.otherID], provider: .kubiya, transport)
        #expect(results.map(\.outcome) == [.cancelled, .cancelled])
        #expect(results.map(\.attempts) == [1, 2])
        #expect(
            transport.calls == [
                "POST /api/v1/executions/batch/terminate", "GET /api/v1/executions/\(Self.kubiyaID)", "GET /api/v1/executions/\(Self.otherID)",
                "POST /api/v1/executions/batch/terminate",
            ])
        #expect(transport.bodies[3].contains(Self.otherID) && !transport.bodies[3].contains(Self.kubiyaID))
    }

    @Test func aSkyvernBulkInDoubtIsReadPerID() async {
        let transport = Script([.fail(.connectionClosed, sent: true), .answer(200, #"{"run_id":"tsk_1","status":"canceled"}"#)])
        let result = await Self.cancel(["tsk_1"], provider: .skyvern, transport)[0]
        #expect(result.outcome == .cancelled)
        #expect(transport.calls == ["POST /v1/runs/cancel", "GET /v1/runs/tsk_1"])
    }

    /// Nothing reached the provider: no doubt, no read.
    @Test func aConnectFailureIsRetriedWithoutARead() async {
        let transport = Script([.fail(.connectFailed, sent: false), .answer(200, #"{"id":"bex_1","status":"CANCELED"}"#)])
        let result = await Self.cancel(["bex_1"], provider: .meibel, transport)[0]
        #expect(result.outcome == .cancelled)
        #expect(transport.calls.allSatisfy { $0.hasPrefix("POST") })
    }

    /// A job's chunk taken over after its runner died (CONTRACT §6): the entry that runner may
    /// have sent is read before anything else and, read cancelled, never sent again; the
    /// fresh entry of the same batch goes out alone.
    @Test func anEntrySentBeforeIsReadFirst() async {
        let batch = #"{"results":[{"execution_id":"\#(Self.otherID)","success":true,"workflow_id":"w","error":null,"terminated_at":"2026-11-23T16:21:00+00:00"}]}"#
        let transport = Script([.answer(200, Self.kubiyaExecution("cancelled")), .answer(200, batch)])
        let results = await Self.cancel([Self.kubiyaID, Self.otherID], provider: .kubiya, sentBefore: [Self.kubiyaID], transport)
        #expect(results.map(\.outcome) == [.cancelled, .cancelled])
        #expect(results.map(\.attempts) == [1, 1], "the lost send counts as the first")
        #expect(results[0].providerStatus == "cancelled")
        #expect(transport.calls == ["GET /api/v1/executions/\(Self.kubiyaID)", "POST /api/v1/executions/batch/terminate"])
        #expect(transport.bodies[1].contains(Self.otherID) && !transport.bodies[1].contains(Self.kubiyaID))
    }

    @Test func anEntrySentBeforeThatStillRunsIsSentOnce() async {
        let transport = Script([.answer(200, #"{"id":"bex_1","status":"RUNNING"}"#), .answer(200, #"{"id":"bex_1","status":"CANCELED"}"#)])
        let result = await Self.cancel(["bex_1"], provider: .meibel, sentBefore: ["bex_1"], transport)[0]
        #expect(result.outcome == .cancelled)
        #expect(result.attempts == 2)
        #expect(transport.calls.map { $0.prefix(4) } == ["GET ", "POST"])
    }

    /// The read fails and no cancel may follow: the item is in doubt, not a plain failure.
    @Test func anEntrySentBeforeWithNoReadAndNoAttemptLeftIsInDoubt() async {
        let transport = Script([.answer(503, "{}")])
        let result = await Self.cancel(["bex_1"], provider: .meibel, maxAttempts: 1, sentBefore: ["bex_1"], transport)[0]
        #expect(result.outcome == .failed && result.retryable)
        #expect(result.error?.code == .inDoubt, "\(result)")
    }

    /// `read_in_doubt: false`: sent again at once, as a retry after a lost answer; a failure
    /// then is `in_doubt` (the lost send may have acted).
    @Test func withReadsOffAnEntrySentBeforeIsResentAndItsFailureIsInDoubt() async {
        let transport = Script([.answer(500, "{}")])
        let result = await Self.cancel(["bex_1"], provider: .meibel, maxAttempts: 2, sentBefore: ["bex_1"], readInDoubt: false, transport)[0]
        #expect(transport.calls.count == 1 && transport.calls[0].hasPrefix("POST"), "\(transport.calls)")
        #expect(result.outcome == .failed && result.retryable)
        #expect(result.error?.code == .inDoubt, "\(result)")
        #expect(result.attempts == 2)
    }
}
