/// Every rule about time on the call path, in one place.
///
/// - A gateway request has one deadline (`server.request_timeout_ms` from its start); every unit
///   still unanswered when it passes is `failed`, `deadline_exceeded`, retryable (`Dispatcher`).
/// - Waiting is bounded by that deadline only: for a concurrency slot, a rate-limit token, a C1
///   token or a retry's backoff. A wait never uses up an attempt's own timeout.
/// - `timeout_ms` starts when an attempt is sent (`TransportLayer`), and is cut short so that
///   no attempt outlives the request's deadline.
/// - An attempt, or a retry's wait, is only started when at least `minimumAttempt` would be left.
enum Deadlines {
    /// Below this much time left an attempt can only time out, and its answer could not be used.
    static let minimumAttempt: Duration = .milliseconds(10)

    /// The timeout of an attempt sent at `now`, or nil when the deadline leaves no time for one.
    static func attemptTimeout(configured: Duration, now: ContinuousClock.Instant, deadline: ContinuousClock.Instant) -> Duration? {
        let left = now.duration(to: deadline)
        guard left >= minimumAttempt else { return nil }
        return min(configured, left)
    }

    /// Whether a wait of `wait` from `now` still leaves room for an attempt before `deadline`.
    static func leavesRoom(after wait: Duration, now: ContinuousClock.Instant, deadline: ContinuousClock.Instant) -> Bool {
        wait + minimumAttempt <= now.duration(to: deadline)
    }
}
