internal import CurlClient
internal import Foundation

/// When an upstream call is tried again, and after how long. Pure: the random draw and the wall
/// clock (needed for an HTTP-date `Retry-After`) are arguments, so every schedule can be tested.
/// `RetryLayer` does the waiting and the calling.
struct RetryPolicy: Sendable, Equatable {
    /// Retried whatever the provider: the answers that say "not now" rather than "no".
    static let commonTransientStatuses: Set<Int> = [429, 502, 503, 504]

    /// All attempts, the first included.
    var maxAttempts: Int
    var baseDelay: Duration
    var maxDelay: Duration
    /// HTTP statuses worth another attempt for this adapter. Only 4xx/5xx count: an answer
    /// below 400 (a 200 above all) is never retried, whatever this set holds.
    var transientStatuses: Set<Int>

    init(maxAttempts: Int, baseDelay: Duration, maxDelay: Duration, transientStatuses: Set<Int> = commonTransientStatuses) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.transientStatuses = transientStatuses
    }

    init(_ config: RetryConfig, transientStatuses: Set<Int> = commonTransientStatuses) {
        self.init(
            maxAttempts: config.maxAttempts, baseDelay: .milliseconds(config.baseDelayMs), maxDelay: .milliseconds(config.maxDelayMs),
            transientStatuses: transientStatuses)
    }

    enum Decision: Sendable, Equatable {
        /// Wait this long, then make the next attempt.
        case retry(after: Duration)
        /// The last answer stands.
        case stop(StopReason)
    }

    enum StopReason: String, Sendable {
        /// The answer is final: a success, or a failure another attempt would not change.
        case final
        /// `maxAttempts` attempts were made.
        case exhausted
        /// The wait plus a minimal attempt would pass the request's deadline.
        case deadline
    }

    /// What to do after attempt number `attempt` (1-based) answered `result`.
    ///
    /// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and
    /// Jitter"): before attempt n + 1 the wait is `random(0 ... min(maxDelay, base × 2^(n-1)))`,
    /// `random` being `unitRandom` (0...1) scaled. With the defaults (base 100 ms, max 2 s):
    ///
    ///     after attempt   1       2       3       4       5        6 and later
    ///     wait (ms)       0…100   0…200   0…400   0…800   0…1600   0…2000
    ///
    /// A `Retry-After` on the answer (delay-seconds or an HTTP-date, RFC 9110 §10.2.3) replaces
    /// the computed wait, capped by `maxDelay`. No attempt is started when the wait plus
    /// `Deadlines.minimumAttempt` is more than `remaining` (the time left before the request's deadline).
    func decide(after result: CallResult, attempt: Int, remaining: Duration, now: Date, unitRandom: Double) -> Decision {
        guard isTransient(result) else { return .stop(.final) }
        guard attempt < maxAttempts else { return .stop(.exhausted) }
        var wait = backoff(after: attempt, unitRandom: unitRandom)
        if case .success(let response) = result, let header = response.header("Retry-After"), let asked = Self.retryAfter(header, now: now) {
            wait = min(asked, maxDelay)
        }
        guard wait + Deadlines.minimumAttempt <= remaining else { return .stop(.deadline) }
        return .retry(after: wait)
    }

    /// The jittered wait after attempt `attempt`: `unitRandom` × min(maxDelay, base × 2^(attempt-1)).
    func backoff(after attempt: Int, unitRandom: Double) -> Duration {
        var ceiling = baseDelay
        // Doubling stops once past maxDelay, so no configured value can overflow.
        for _ in 1..<max(1, attempt) where ceiling < maxDelay {
            ceiling = ceiling * 2
        }
        ceiling = min(ceiling, maxDelay)
        let unit = unitRandom.isNaN ? 0 : min(1, max(0, unitRandom))
        return min(ceiling, ceiling * unit)
    }

    /// Timeouts and lost connections may pass; a transient status is the upstream asking for
    /// another try; a C1 token that could not be fetched may be fetched next time. TLS failures,
    /// bad URLs, refused credentials, the deadline and cancellation are not retried.
    func isTransient(_ result: CallResult) -> Bool {
        switch result {
        case .success(let response):
            return (400...599).contains(response.status) && transientStatuses.contains(response.status)
        case .failure(.transport(let error)):
            return [.connectFailed, .connectionClosed, .timeout].contains(error.kind)
        case .failure(.tokenUnavailable):
            return true
        case .failure:
            return false
        }
    }

    /// `Retry-After` as a wait from `now`: delay-seconds, or an HTTP-date (IMF-fixdate, or the
    /// obsolete RFC 850 and asctime forms recipients must accept; parsed as leniently as Foundation
    /// does, so a missing "GMT" is read as GMT). A date in the past is no wait.
    static func retryAfter(_ value: String, now: Date) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // More digits than an Int holds is still "a very long time".
            return .seconds(Int(text) ?? Int.max)
        }
        guard let date = httpDate(text) else { return nil }
        let seconds = date.timeIntervalSince(now)
        return seconds > 0 ? .milliseconds(Int64(min(seconds, 1e12) * 1000)) : .zero
    }

    static func httpDate(_ text: String) -> Date? {
        // asctime pads a one-digit day with a second space ("Sun Nov  6 08:49:37 1994").
        let text = text.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss 'GMT'", "EEEE, dd-MMM-yy HH:mm:ss 'GMT'", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
