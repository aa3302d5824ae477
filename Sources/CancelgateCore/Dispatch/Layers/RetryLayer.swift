internal import CurlClient
internal import Foundation
internal import Logging

/// Turns one attempt into a whole upstream call: up to `retry.max_attempts` attempts, waits
/// chosen by `RetryPolicy` (pure), every wait bounded by the request's deadline (`Deadlines`).
/// It knows nothing about providers beyond the transient statuses their adapter names.
struct RetryLayer: UpstreamMiddleware {
    let policy: RetryPolicy
    let upstream: String
    let clock: UpstreamClock
    /// A uniform draw in 0...1 for the jitter (tests pass a constant).
    let unitRandom: @Sendable () -> Double
    /// Now, for a `Retry-After` given as an HTTP-date.
    let wallClock: @Sendable () -> Date
    /// Told before each wait for another attempt (metrics).
    let onRetry: @Sendable () -> Void
    /// Whether an attempt in doubt (it may have acted upstream) is followed by another. When not,
    /// the reply goes back at once and the Dispatcher reads the status first (CONTRACT §7).
    var resendInDoubt: Bool = true

    func wrap(_ next: @escaping UpstreamCall) -> UpstreamCall {
        { request, context in
            var reply = UpstreamReply.notSent(.requestDeadline)
            var context = context
            while true {
                let answer = await next(request, context)
                guard answer.attempts > 0 else {
                    // Nothing was sent (deadline, cancellation, no token): an earlier answer stands.
                    // A C1 token that could not be fetched may come on a later try.
                    if reply.attempts == 0 { reply = answer }
                    guard case .failure(.tokenUnavailable) = answer.result, let wait = nextWait(after: reply, context) else { return reply }
                    guard await pause(wait, before: context.attempt + 1, after: reply, context) else { return reply }
                    context.attempt += 1
                    continue
                }
                reply = UpstreamReply(result: answer.result, attempts: reply.attempts + answer.attempts, inDoubt: reply.inDoubt || answer.inDoubt)
                if answer.inDoubt, !resendInDoubt { return reply }
                guard let wait = nextWait(after: reply, context), await pause(wait, before: context.attempt + 1, after: reply, context) else {
                    return reply
                }
                context.attempt += 1
            }
        }
    }

    private func nextWait(after reply: UpstreamReply, _ context: CallContext) -> Duration? {
        let decision = policy.decide(
            after: reply.result, attempt: max(reply.attempts, context.attempt), remaining: clock.now.duration(to: context.deadline),
            now: wallClock(), unitRandom: unitRandom())
        guard case .retry(let wait) = decision, !Task.isCancelled else { return nil }
        return wait
    }

    private func pause(_ wait: Duration, before attempt: Int, after reply: UpstreamReply, _ context: CallContext) async -> Bool {
        context.logger.debug(
            "upstream call retrying",
            metadata: [
                "request.id": "\(context.requestID)", "upstream.name": "\(upstream)", "upstream.status": "\(reply.statusLabel)",
                "retry.attempt": "\(attempt)", "retry.delay_ms": "\(wait.milliseconds)",
            ])
        onRetry()
        do { try await clock.sleep(for: wait) } catch { return false }
        return true
    }
}
