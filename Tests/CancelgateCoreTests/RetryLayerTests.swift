import CancelgateWire
@testable import CurlClient
import Foundation
import Logging
import Testing

@testable import CancelgateCore

/// Retries and in-doubt reconciliation through `CancelService` (planner, dispatcher, retry and auth
/// layers, adapters) against a transport that plays a script, one step per HTTP attempt. These are
/// the plain-retry rules (`read_in_doubt: false`); `InDoubtReadTests` has the status-read ones.
@Suite struct RetryLayerTests {
    enum Step: Sendable {
        case answer(Int, String, headers: [HTTPHeader] = [])
        case fail(CurlError.Kind, sent: Bool)
    }

    final class ScriptedTransport: HTTPTransport {
        struct Log { var steps: [Step]; var urls: [String] = []; var calls: [String] = []; var bodies: [String] = [] }
        let log: LockedCounts<Log>

        init(_ steps: [Step]) { log = LockedCounts(Log(steps: steps)) }

        var urls: [String] { log.withLock { $0.urls } }
        /// "METHOD path" per attempt, in order.
        var calls: [String] { log.withLock { $0.calls } }
        /// Request bodies in order ("" when none).
        var bodies: [String] { log.withLock { $0.bodies } }

        func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
            let step = log.withLock { log in
                log.urls.append(request.url)
                log.calls.append("\(request.method) \(request.url.replacingOccurrences(of: "http://upstream.test", with: ""))")
                log.bodies.append(request.body.map { String(decoding: $0, as: UTF8.self) } ?? "")
                return log.steps.isEmpty ? Step.answer(599, "script ran out") : log.steps.removeFirst()
            }
            switch step {
            case .answer(let status, let body, let headers):
                return CurlResponse(status: status, headers: headers, body: Data(body.utf8))
            case .fail(let kind, let sent):
                throw CurlError(kind: kind, call: "transfer", requestSent: sent, message: "scripted")
            }
        }
    }

    static let fast = RetryConfig(maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5)
    /// Waits far longer than any request's deadline: a retry only happens when something overrides them.
    static let slow = RetryConfig(maxAttempts: 3, baseDelayMs: 60_000, maxDelayMs: 60_000)
    static let kubiyaID = "3f0c6d2e-8a41-4b7e-9d35-0c1f2a7b9e11"

    static func cancel(
        _ id: String, provider: ProviderKind, mode: CallMode = .batch, retry: RetryConfig = fast, requestTimeoutMs: Int = 5_000,
        readInDoubt: Bool = false, _ transport: ScriptedTransport
    ) async -> ItemResult {
        let upstream = UpstreamConfig(
            name: provider.rawValue, provider: provider, baseURL: "http://upstream.test", mode: mode, retry: retry, readInDoubt: readInDoubt)
        let config = RoutesConfig(server: ServerConfig(requestTimeoutMs: requestTimeoutMs), upstreams: [upstream])
        let service = CancelService(config: config, dispatcher: Dispatcher(config: config, transport: transport, unitRandom: { 1 }))
        let request = CancelRequest(requestID: "r", reason: "test", entries: [CancelEntry(id: id, upstream: provider.rawValue)])
        return await service.cancel(request, logger: Logger(label: "test")).results[0]
    }

    static let meibelCanceled = #"{"id":"bex_1","status":"CANCELED"}"#
    static let kubiyaCancelledDetail = #"{"detail":"Cannot terminate workflow in status: cancelled"}"#

    static func kubiyaBatchAnswer(error: String) -> String {
        #"{"results":[{"execution_id":"\#(kubiyaID)","success":false,"workflow_id":null,"error":"\#(error)","terminated_at":null}]}"#
    }

    @Test func twoUnavailableThenSuccess() async {
        let transport = ScriptedTransport([.answer(503, "{}"), .answer(503, "{}"), .answer(200, Self.meibelCanceled)])
        let result = await Self.cancel("bex_1", provider: .meibel, transport)
        #expect(result.outcome == .cancelled)
        #expect(result.attempts == 3)
        #expect(result.error == nil)
        #expect(transport.urls.count == 3)
    }

    @Test func unavailableEveryTimeExhaustsTheAttempts() async {
        let transport = ScriptedTransport([.answer(503, "{}"), .answer(503, "{}"), .answer(503, "{}"), .answer(200, "{}")])
        let result = await Self.cancel("tsk_1", provider: .skyvern, transport)
        #expect(result.outcome == .failed)
        #expect(result.retryable)
        #expect(result.attempts == 3)
        #expect(result.httpStatus == 503)
        #expect(result.error?.code == .upstreamUnavailable)
        #expect(result.error?.message.contains("3 attempts") == true)
        #expect(transport.urls.count == 3, "no fourth attempt")
    }

    @Test func connectionErrorsAreRetried() async {
        let transport = ScriptedTransport([.fail(.connectFailed, sent: false), .fail(.connectionClosed, sent: false), .answer(200, "{}")])
        let result = await Self.cancel("42", provider: .c1, transport)
        #expect(result.outcome == .cancelRequested)
        #expect(result.attempts == 3)
    }

    @Test func retryAfterZeroIsHonoured() async {
        // The backoff alone (60 s) would pass the 5 s deadline: only Retry-After: 0 makes the retry possible.
        let transport = ScriptedTransport([.answer(429, "{}", headers: [HTTPHeader("Retry-After", "0")]), .answer(200, Self.meibelCanceled)])
        let result = await Self.cancel("bex_1", provider: .meibel, retry: Self.slow, transport)
        #expect(result.outcome == .cancelled)
        #expect(result.attempts == 2)
    }

    @Test func theDeadlineStopsRetries() async {
        let transport = ScriptedTransport([.answer(503, "{}"), .answer(200, Self.meibelCanceled)])
        let result = await Self.cancel("bex_1", provider: .meibel, retry: Self.slow, transport)
        #expect(result.outcome == .failed)
        #expect(result.error?.code == .upstreamUnavailable)
        #expect(result.retryable)
        #expect(result.attempts == 1)
        #expect(transport.urls.count == 1)
    }

    @Test func kubiyaBatch500IsNotRetried() async {
        let transport = ScriptedTransport([.answer(500, #"{"detail":"Internal Server Error"}"#), .answer(200, Self.kubiyaBatchAnswer(error: ""))])
        let result = await Self.cancel(Self.kubiyaID, provider: .kubiya, transport)
        #expect(result.outcome == .failed)
        #expect(result.error?.code == .upstreamError)
        #expect(result.retryable)
        #expect(result.attempts == 1)
        #expect(transport.urls.count == 1)
    }

    @Test func kubiyaSingle500IsRetried() async {
        let success = #"{"success":true,"workflow_id":"agent-execution-x","terminated_at":"2026-11-23T16:20:08Z"}"#
        let transport = ScriptedTransport([.answer(500, #"{"detail":"Failed to terminate workflow: temporal"}"#), .answer(200, success)])
        let result = await Self.cancel(Self.kubiyaID, provider: .kubiya, mode: .single, transport)
        #expect(result.outcome == .cancelled)
        #expect(result.cancelledAt == "2026-11-23T16:20:08Z")
        #expect(result.attempts == 2)
    }

    @Test func aBatch200IsNeverRetried() async {
        let transport = ScriptedTransport([.answer(200, Self.kubiyaBatchAnswer(error: "Unexpected error: boom")), .answer(200, "{}")])
        let result = await Self.cancel(Self.kubiyaID, provider: .kubiya, transport)
        #expect(result.error?.code == .upstreamError)
        #expect(result.attempts == 1)
        #expect(transport.urls.count == 1)
    }

    @Test(arguments: [CurlError.Kind.timeout, .connectionClosed])
    func inDoubtThenAlreadyCancelledIsCancelledSingle(kind: CurlError.Kind) async {
        let transport = ScriptedTransport([.fail(kind, sent: true), .answer(400, Self.kubiyaCancelledDetail)])
        let result = await Self.cancel(Self.kubiyaID, provider: .kubiya, mode: .single, transport)
        #expect(result.outcome == .cancelled)
        #expect(result.error == nil)
        #expect(result.attempts == 2)
    }

    @Test func inDoubtThenAlreadyCancelledIsCancelledBatch() async {
        let answer = Self.kubiyaBatchAnswer(error: "Cannot terminate workflow in status: cancelled")
        let transport = ScriptedTransport([.fail(.timeout, sent: true), .answer(200, answer)])
        let result = await Self.cancel(Self.kubiyaID, provider: .kubiya, transport)
        #expect(result.outcome == .cancelled)
        #expect(result.attempts == 2)
    }

    /// Nothing reached Kubiya before (connect failed, or nothing sent), or the run ended on its own:
    /// the answer is what it says.
    @Test(arguments: [
        (Step.fail(.connectFailed, sent: false), "cancelled"), (.fail(.timeout, sent: false), "cancelled"),
        (.fail(.timeout, sent: true), "completed"), (.answer(503, "{}"), "cancelled"),
    ])
    func notInDoubtStaysAlreadyTerminal(first: Step, status: String) async {
        let transport = ScriptedTransport([first, .answer(400, #"{"detail":"Cannot terminate workflow in status: \#(status)"}"#)])
        let result = await Self.cancel(Self.kubiyaID, provider: .kubiya, mode: .single, transport)
        #expect(result.outcome == .alreadyTerminal)
        #expect(result.attempts == 2)
    }

    @Test func skyvernInDoubtBulkThenAlreadyCanceledFollowUp() async {
        let transport = ScriptedTransport([
            .fail(.connectionClosed, sent: true),
            .answer(200, #"{"cancelled":[],"failed":["tsk_1"]}"#),
            .answer(400, #"{"detail":"Invalid task status transition to canceled for tsk_1 because task is already canceled"}"#),
        ])
        let result = await Self.cancel("tsk_1", provider: .skyvern, transport)
        #expect(result.outcome == .cancelled)
        #expect(result.attempts == 3, "two bulk attempts and the follow-up")
        #expect(transport.urls.map { $0.hasSuffix("/v1/runs/cancel") } == [true, true, false])
    }

    @Test func skyvernFollowUpAttemptsAddToTheBulkCall() async {
        let transport = ScriptedTransport([
            .answer(200, #"{"cancelled":[],"failed":["tsk_1"]}"#), .answer(503, "{}"),
            .answer(400, #"{"detail":"Invalid task status transition from completed to canceled for tsk_1"}"#),
        ])
        let result = await Self.cancel("tsk_1", provider: .skyvern, transport)
        #expect(result.outcome == .alreadyTerminal)
        #expect(result.attempts == 3)
    }

    @Test func meibelInDoubtThenCanceledIsCancelled() async {
        let transport = ScriptedTransport([.fail(.timeout, sent: true), .answer(200, Self.meibelCanceled)])
        let result = await Self.cancel("bex_1", provider: .meibel, transport)
        #expect(result.outcome == .cancelled)
        #expect(result.attempts == 2)
    }

    /// A 502 or 504 came from a proxy after the request went out: the provider behind it may have
    /// acted, so the retry's "already cancelled" is this request's own cancellation.
    @Test(arguments: [502, 504])
    func gatewayErrorsAreInDoubtSingle(status: Int) async {
        let transport = ScriptedTransport([.answer(status, "<html>Bad Gateway</html>"), .answer(400, Self.kubiyaCancelledDetail)])
        let result = await Self.cancel(Self.kubiyaID, provider: .kubiya, mode: .single, transport)
        #expect(result.outcome == .cancelled)
        #expect(result.attempts == 2)
    }

    @Test(arguments: [502, 504])
    func gatewayErrorsAreInDoubtBatch(status: Int) async {
        let answer = Self.kubiyaBatchAnswer(error: "Cannot terminate workflow in status: cancelled")
        let transport = ScriptedTransport([.answer(status, ""), .answer(200, answer)])
        let result = await Self.cancel(Self.kubiyaID, provider: .kubiya, transport)
        #expect(result.outcome == .cancelled)
        #expect(result.error == nil)
    }

    @Test func skyvernBulk504ThenAlreadyCanceledIsCancelled() async {
        let transport = ScriptedTransport([
            .answer(504, ""), .answer(200, #"{"cancelled":[],"failed":["tsk_1"]}"#),
            .answer(400, #"{"detail":"Invalid task status transition to canceled for tsk_1 because task is already canceled"}"#),
        ])
        let result = await Self.cancel("tsk_1", provider: .skyvern, transport)
        #expect(result.outcome == .cancelled)
        #expect(result.attempts == 3)
    }

    /// Every attempt answered 504: the run may have been cancelled by any of them.
    @Test func only504sEndInDoubt() async {
        let transport = ScriptedTransport([.answer(504, ""), .answer(504, ""), .answer(504, "")])
        let result = await Self.cancel("bex_1", provider: .meibel, transport)
        #expect(result.outcome == .failed)
        #expect(result.error?.code == .inDoubt)
        #expect(result.retryable)
        #expect(result.httpStatus == 504)
    }

    @Test func theLayerReportsAttemptsAndDoubt() async {
        let upstream = UpstreamConfig(name: "m", provider: .meibel, baseURL: "http://m", retry: Self.fast)
        let calls = LockedCounts(0)
        let next: UpstreamCall = { _, context in
            let n = calls.withLock { n in
                n += 1
                return n
            }
            #expect(context.attempt == n)
            return n == 1
                ? UpstreamReply(result: .failure(.transport(CurlError(kind: .timeout, call: "transfer", requestSent: true, message: "t"))), attempts: 1, inDoubt: true)
                : UpstreamReply(result: .success(CurlResponse(status: 200)), attempts: 1)
        }
        let layer = RetryLayer(
            policy: RetryPolicy(upstream.retry, transientStatuses: [503]), upstream: "m", clock: .continuous, unitRandom: { 0 },
            wallClock: { Date() }, onRetry: {})
        let exchange = layer.wrap(next)
        let reply = await exchange(UpstreamRequest(path: "/x", json: nil), CallContext(deadline: .now + .seconds(5), logger: Logger(label: "test"), requestID: "r"))
        #expect(reply.attempts == 2)
        #expect(reply.inDoubt)
        #expect(reply.statusLabel == "200")
    }
}
