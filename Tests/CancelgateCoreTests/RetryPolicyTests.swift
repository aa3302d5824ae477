@testable import CurlClient
import Foundation
import Testing

@testable import CancelgateCore

/// `RetryPolicy.decide` without I/O: the random draw, the time left and the wall clock are arguments.
@Suite struct RetryPolicyTests {
    static let defaults = RetryPolicy(RetryConfig(maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 2000))
    static let plenty: Duration = .seconds(3600)
    static let now = Date(timeIntervalSince1970: 1_795_000_000)

    static func answer(_ status: Int, retryAfter: String? = nil) -> CallResult {
        .success(CurlResponse(status: status, headers: retryAfter.map { [HTTPHeader("Retry-After", $0)] } ?? [], body: Data()))
    }

    static func failure(_ kind: CurlError.Kind, sent: Bool = true, call: String = "transfer") -> CallResult {
        .failure(.transport(CurlError(kind: kind, call: call, requestSent: sent, message: "test")))
    }

    func decide(_ result: CallResult, policy: RetryPolicy = defaults, attempt: Int = 1, remaining: Duration = plenty, random: Double = 1)
        -> RetryPolicy.Decision
    {
        policy.decide(after: result, attempt: attempt, remaining: remaining, now: Self.now, unitRandom: random)
    }

    @Test func scheduleDoublesUpToMaxDelay() {
        let ceilings = (1...8).map { Self.defaults.backoff(after: $0, unitRandom: 1) }
        #expect(ceilings == [100, 200, 400, 800, 1600, 2000, 2000, 2000].map { .milliseconds($0) })
        #expect((1...8).map { decide(Self.answer(503), attempt: $0) } == ceilings.map { .retry(after: $0) })
    }

    @Test(arguments: [(0.0, 0), (0.25, 100), (0.5, 200), (1.0, 400)])
    func fullJitterScalesTheCeiling(random: Double, milliseconds: Int) {
        #expect(decide(Self.answer(503), attempt: 3, random: random) == .retry(after: .milliseconds(milliseconds)))
    }

    @Test func randomOutsideTheUnitIntervalIsClamped() {
        #expect(Self.defaults.backoff(after: 1, unitRandom: 7) == .milliseconds(100))
        #expect(Self.defaults.backoff(after: 1, unitRandom: -1) == .zero)
        #expect(Self.defaults.backoff(after: 1, unitRandom: .nan) == .zero)
    }

    @Test func maxDelayCapsTheSchedule() {
        let policy = RetryPolicy(RetryConfig(maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 300))
        #expect((1...5).map { policy.backoff(after: $0, unitRandom: 1) } == [100, 200, 300, 300, 300].map { .milliseconds($0) })
        let huge = RetryPolicy(RetryConfig(maxAttempts: 10, baseDelayMs: Int.max / 2, maxDelayMs: Int.max))
        #expect(huge.backoff(after: 10, unitRandom: 1) == .milliseconds(Int.max), "doubling never overflows")
    }

    @Test func lastAttemptIsNotRetried() {
        let policy = RetryPolicy(RetryConfig(maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000))
        #expect(decide(Self.answer(503), policy: policy, attempt: 2) == .retry(after: .milliseconds(200)))
        #expect(decide(Self.answer(503), policy: policy, attempt: 3) == .stop(.exhausted))
        #expect(decide(Self.answer(503), policy: RetryPolicy(RetryConfig(maxAttempts: 1))) == .stop(.exhausted))
    }

    @Test func retryAfterSecondsReplacesTheBackoffCappedByMaxDelay() {
        #expect(decide(Self.answer(429, retryAfter: "0"), random: 1) == .retry(after: .zero))
        #expect(decide(Self.answer(429, retryAfter: "1"), random: 0) == .retry(after: .seconds(1)))
        #expect(decide(Self.answer(503, retryAfter: " 5 ")) == .retry(after: .seconds(2)), "capped by max_delay_ms")
        #expect(decide(Self.answer(429, retryAfter: "99999999999999999999999")) == .retry(after: .seconds(2)))
        #expect(decide(Self.answer(429, retryAfter: "soon")) == .retry(after: .milliseconds(100)), "an unreadable value is ignored")
        #expect(decide(Self.answer(429, retryAfter: "-3")) == .retry(after: .milliseconds(100)))
    }

    @Test func retryAfterHTTPDateIsAWaitFromNow() {
        // Self.now is Wed, 18 Nov 2026 11:06:40 GMT.
        #expect(RetryPolicy.retryAfter("Wed, 18 Nov 2026 11:06:41 GMT", now: Self.now) == .seconds(1))
        #expect(RetryPolicy.retryAfter("Wednesday, 18-Nov-26 11:06:42 GMT", now: Self.now) == .seconds(2), "RFC 850 form")
        #expect(RetryPolicy.retryAfter("Wed Nov 18 11:06:43 2026", now: Self.now) == .seconds(3), "asctime form")
        #expect(RetryPolicy.retryAfter("Wed Nov  4 11:06:40 2026", now: Self.now) == .zero, "asctime pads a one-digit day")
        #expect(RetryPolicy.retryAfter("Wed, 18 Nov 2026 11:00:00 GMT", now: Self.now) == .zero, "a past date is no wait")
        #expect(RetryPolicy.retryAfter("next week", now: Self.now) == nil)
        #expect(RetryPolicy.retryAfter("Wed, 18 Foo 2026 11:06:41 GMT", now: Self.now) == nil)
        #expect(decide(Self.answer(503, retryAfter: "Wed, 18 Nov 2026 11:06:41 GMT"), random: 0) == .retry(after: .seconds(1)))
        #expect(decide(Self.answer(503, retryAfter: "Wed, 18 Nov 2026 12:00:00 GMT")) == .retry(after: .seconds(2)), "capped by max_delay_ms")
    }

    @Test func aRetryThatWouldPassTheDeadlineIsNotStarted() {
        let wait = Duration.milliseconds(100)
        #expect(decide(Self.answer(503), remaining: wait + Deadlines.minimumAttempt) == .retry(after: wait))
        #expect(decide(Self.answer(503), remaining: wait + Deadlines.minimumAttempt - .milliseconds(1)) == .stop(.deadline))
        #expect(decide(Self.answer(503), remaining: .milliseconds(5), random: 0) == .stop(.deadline), "no time for even a minimal attempt")
        #expect(decide(Self.answer(429, retryAfter: "1"), remaining: .milliseconds(500)) == .stop(.deadline))
        #expect(decide(Self.failure(.timeout), remaining: .zero) == .stop(.deadline))
    }

    /// provider (mode) → statuses retried. Kubiya batch 500, Skyvern and Meibel 500 are the item's
    /// or batch's own failure; Kubiya single 500 (Temporal) and C1 500 (its SDK) are transient.
    static let transientByAdapter: [(String, UpstreamConfig, Set<Int>)] = [
        ("kubiya batch", UpstreamConfig(name: "k", provider: .kubiya, baseURL: "http://k"), [429, 502, 503, 504]),
        ("kubiya single", UpstreamConfig(name: "k", provider: .kubiya, baseURL: "http://k", mode: .single), [429, 500, 502, 503, 504]),
        ("skyvern", UpstreamConfig(name: "s", provider: .skyvern, baseURL: "http://s"), [429, 502, 503, 504]),
        ("meibel", UpstreamConfig(name: "m", provider: .meibel, baseURL: "http://m"), [429, 502, 503, 504]),
        ("c1", UpstreamConfig(name: "c", provider: .c1, baseURL: "http://c"), [429, 500, 502, 503, 504]),
    ]

    @Test(arguments: 0..<transientByAdapter.count)
    func retriedStatusesPerProvider(index: Int) {
        let (name, upstream, expected) = Self.transientByAdapter[index]
        let policy = RetryPolicy(upstream.retry, transientStatuses: Adapters.adapter(for: upstream).transientStatuses)
        let statuses = [200, 201, 204, 301, 400, 401, 403, 404, 408, 409, 422, 429, 500, 501, 502, 503, 504, 505]
        let retried = Set(statuses.filter { policy.isTransient(Self.answer($0)) })
        #expect(retried == expected, "\(name)")
        #expect(decide(Self.answer(200), policy: policy) == .stop(.final), "\(name): a 200 is never retried")
    }

    @Test func twoHundredIsNeverRetriedEvenIfListed() {
        let policy = RetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1), maxDelay: .milliseconds(1), transientStatuses: [200, 204, 302, 503])
        for status in [200, 204, 302] {
            #expect(decide(Self.answer(status), policy: policy) == .stop(.final))
        }
        #expect(decide(Self.answer(503), policy: policy) == .retry(after: .milliseconds(1)))
    }

    @Test(arguments: [
        (CurlError.Kind.connectFailed, true), (.connectionClosed, true), (.timeout, true), (.tls, false), (.invalidURL, false),
        (.responseTooLarge, false), (.cancelled, false), (.shutdown, false), (.other, false),
    ])
    func retriedTransportFailures(kind: CurlError.Kind, retried: Bool) {
        #expect(Self.defaults.isTransient(Self.failure(kind)) == retried)
        #expect(Self.defaults.isTransient(Self.failure(kind, sent: false)) == retried)
    }

    @Test func nothingSentIsNotRetriedButAMissingC1TokenIs() {
        #expect(decide(.failure(.requestDeadline)) == .stop(.final))
        #expect(decide(.failure(.cancelled)) == .stop(.final))
        #expect(decide(.failure(.rateLimitedUntilDeadline)) == .stop(.final))
        #expect(decide(.failure(.tokenRefused("refused"))) == .stop(.final))
        #expect(decide(.failure(.tokenUnavailable("down"))) != .stop(.final))
    }

    @Test(arguments: [
        (CurlError.Kind.timeout, true, true), (.connectionClosed, true, true), (.timeout, false, false), (.connectionClosed, false, false),
        (.connectFailed, true, false), (.connectFailed, false, false), (.tls, true, false), (.cancelled, true, true), (.cancelled, false, false),
    ])
    func inDoubtWhenTheRequestMayHaveArrived(kind: CurlError.Kind, sent: Bool, inDoubt: Bool) {
        #expect(InDoubt.attempt(Self.failure(kind, sent: sent)) == inDoubt)
    }

    @Test(arguments: [(200, false), (500, false), (502, true), (503, false), (504, true)])
    func gatewayAnswersAreInDoubt(status: Int, inDoubt: Bool) {
        #expect(InDoubt.attempt(Self.answer(status)) == inDoubt)
        #expect(InDoubt.attempt(.success(CurlResponse(status: status, timesSent: 2))), "libcurl resent it: the first send may have acted")
    }
}
