internal import Foundation

/// When calls to one upstream may go: `upstreams.NAME.rate_limit` (a token bucket shared by
/// every request of the process) and the pause a 429's `Retry-After` puts on the whole upstream.
///
/// Reservations: each call takes the next token at once, even one that accrues only later, and
/// is told the instant it may be sent; so calls leave in the order they asked, `per_second` apart
/// once the `burst` is spent. A call that could only leave after its `latest` takes nothing.
///
/// `@unchecked Sendable`: every stored property is read and written only under `lock` (NSLock, as
/// in `AsyncSemaphore`). Kept across reloads for its upstream (`UpstreamRegistry`).
final class RateGate: @unchecked Sendable {
    private let lock = NSLock()
    private var rate: RateLimitConfig?
    /// Tokens available at `updated`; negative when reservations reach into the future.
    private var tokens: Double = 0
    private var updated: ContinuousClock.Instant?
    private var pausedUntil: ContinuousClock.Instant?

    init(_ rate: RateLimitConfig?) {
        configure(rate)
    }

    /// A reload's new `rate_limit`: tokens already spent stay spent.
    func configure(_ rate: RateLimitConfig?) {
        lock.withLock {
            if self.rate == nil, let rate { tokens = Double(rate.burst) }
            if let rate { tokens = min(tokens, Double(rate.burst)) }
            self.rate = rate
        }
    }

    /// The instant a call asking at `now` may be sent, its token reserved; nil (nothing taken)
    /// when waiting for it would pass `latest`. A call asking when `latest` has already passed is
    /// let through at once, taking nothing: its deadline, not this gate, stops it.
    func reserve(now: ContinuousClock.Instant, latest: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        lock.withLock {
            guard now < latest else { return now }
            let unpaused = max(now, pausedUntil ?? now)
            guard let rate else { return unpaused <= latest ? unpaused : nil }
            if let updated {
                tokens = min(Double(rate.burst), tokens + seconds(updated.duration(to: now)) * rate.perSecond)
            }
            updated = now
            let accrued = tokens >= 1 ? now : now + .nanoseconds(Int64(((1 - tokens) / rate.perSecond) * 1e9))
            let start = max(accrued, unpaused)
            guard start <= latest else { return nil }
            tokens -= 1
            return start
        }
    }

    /// No call leaves before `instant` (a 429's `Retry-After`); an earlier pause never shortens it.
    func pause(until instant: ContinuousClock.Instant) {
        lock.withLock { pausedUntil = max(pausedUntil ?? instant, instant) }
    }

    private func seconds(_ duration: Duration) -> Double {
        let (whole, atto) = duration.components
        return Double(whole) + Double(atto) / 1e18
    }
}

/// A job's `rate_per_second` (CONTRACT §6): one token bucket (burst 1) that every call of the
/// job takes a token of, on whichever upstream, before the upstream's own `rate_limit`. Kept
/// by the runner across the job's chunks.
public final class CallPacer: Sendable {
    let gate: RateGate

    public init(perSecond: Double) {
        gate = RateGate(RateLimitConfig(perSecond: perSecond, burst: 1))
    }
}
