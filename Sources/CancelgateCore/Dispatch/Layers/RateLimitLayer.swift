internal import CurlClient
internal import Foundation

/// `upstreams.NAME.rate_limit`: every attempt takes a token of its upstream's `RateGate` (shared by
/// every request) and waits for it, bounded by the request's deadline: a call that could only go
/// after the deadline is not sent and says so (`rate_limited`, retryable), it is never refused
/// early. A 429 whose `Retry-After` asks for a pause pauses the whole upstream, not only this call.
/// Outside the concurrency limit, so a call waiting for a token holds no slot. A job's
/// `rate_per_second` (`CallContext.pacer`) is a second gate every call of the job passes.
struct RateLimitLayer: UpstreamMiddleware {
    /// The longest pause a `Retry-After` can put on an upstream: one misbehaving header must not
    /// stop every call for a day.
    static let maximumPause: Duration = .seconds(300)

    let gate: RateGate
    let clock: UpstreamClock
    let wallClock: @Sendable () -> Date
    let onWait: @Sendable (Duration) -> Void

    func wrap(_ next: @escaping UpstreamCall) -> UpstreamCall {
        { request, context in
            let asked = clock.now
            let latest = context.deadline - Deadlines.minimumAttempt
            // A job's own rate first (its token is spent even if the upstream's then refuses).
            var paced = asked
            if let pacer = context.pacer {
                guard let start = pacer.reserve(now: asked, latest: latest) else { return .notSent(.rateLimitedUntilDeadline) }
                paced = start
            }
            guard let reserved = gate.reserve(now: asked, latest: latest) else {
                return .notSent(.rateLimitedUntilDeadline)
            }
            let start = max(paced, reserved)
            if start > asked {
                do { try await clock.sleep(until: start) } catch { return .notSent(.cancelled) }
                onWait(asked.duration(to: clock.now))
            }
            let reply = await next(request, context)
            if case .success(let response) = reply.result, response.status == 429, let header = response.header("Retry-After"),
                let wait = RetryPolicy.retryAfter(header, now: wallClock()), wait > .zero
            {
                gate.pause(until: clock.now + min(wait, Self.maximumPause))
            }
            return reply
        }
    }
}
