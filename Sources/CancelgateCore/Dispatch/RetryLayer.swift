internal import CurlClient
public import Foundation
internal import Logging

/// Turns one-attempt sends into whole upstream calls: up to `retry.max_attempts` attempts, waits
/// chosen by `RetryPolicy`, every attempt bounded by the request's deadline. A thin wrapper around
/// the next `UpstreamSend`, as lura's proxy middlewares are; it knows nothing about providers
/// beyond the transient statuses their adapter names.
public enum RetryLayer {
    /// - Parameters:
    ///   - unitRandom: a uniform draw in 0...1 for the jitter (tests pass a constant).
    ///   - wallClock: now, for a `Retry-After` given as an HTTP-date.
    ///   - onRetry: told before each wait for another attempt (metrics).
    public static func wrap(
        _ next: @escaping UpstreamSend, upstream: UpstreamConfig, transientStatuses: Set<Int>,
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        wallClock: @escaping @Sendable () -> Date = { Date() },
        onRetry: @escaping @Sendable () -> Void = {}
    ) -> UpstreamExchange {
        let policy = RetryPolicy(upstream.retry, transientStatuses: transientStatuses)
        let attemptTimeout = upstream.timeout
        let name = upstream.name
        return { request, deadline, logger in
            var reply = UpstreamReply(result: .failure(deadlineReached), attempts: 0)
            while true {
                let remaining = ContinuousClock.now.duration(to: deadline)
                // Also after a wait: whatever time it left, the last answer then stands.
                guard remaining >= RetryPolicy.minimumAttempt else { return reply }
                let result = await next(request, min(attemptTimeout, remaining))
                if case .failure(let error) = result, error.call == RetryPolicy.deadlineCall || error.call == ConcurrencyLimitLayer.queueCall {
                    // No attempt: the deadline came, or the request was cancelled, while this call
                    // waited for a free slot. An earlier attempt's answer, if any, stands.
                    if reply.attempts == 0 { reply.result = result }
                    return reply
                }
                reply.result = result
                // libcurl resends a request by itself when a reused connection died unanswered:
                // each send is an attempt, and an unanswered one may have acted upstream.
                let sent = reply.result.timesSent
                reply.attempts += max(1, sent)
                if sent > 1 { reply.inDoubt = true }
                if case .failure(let error) = reply.result, RetryPolicy.isInDoubt(error) {
                    reply.inDoubt = true
                }
                let decision = policy.decide(
                    after: reply.result, attempt: reply.attempts, remaining: ContinuousClock.now.duration(to: deadline),
                    now: wallClock(), unitRandom: unitRandom())
                guard case .retry(let wait) = decision, !Task.isCancelled else { return reply }
                logger.debug(
                    "upstream call retrying",
                    metadata: [
                        "upstream.name": "\(name)", "upstream.status": "\(reply.result.statusLabel)",
                        "retry.attempt": "\(reply.attempts + 1)", "retry.delay_ms": "\(wait.milliseconds)",
                    ])
                onRetry()
                do { try await Task.sleep(for: wait) } catch { return reply }
            }
        }
    }

    /// The answer when the deadline left no time for even one attempt.
    static let deadlineReached = CurlError(
        kind: .timeout, code: 0, call: RetryPolicy.deadlineCall, requestSent: false, message: "request deadline reached")
}
