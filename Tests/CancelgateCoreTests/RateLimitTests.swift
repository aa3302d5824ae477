import CancelgateWire
@testable import CurlClient
import Foundation
import Logging
import Testing

@testable import CancelgateCore

/// `rate_limit`: the shared token bucket per upstream, and the pause a 429's `Retry-After` puts on
/// it, on reservations (pure) and through the layer on a manual clock.
@Suite struct RateLimitTests {
    static let far: Duration = .seconds(3600)

    @Test func theBurstGoesAtOnceThenCallsAreSpacedEvenly() {
        let gate = RateGate(RateLimitConfig(perSecond: 10, burst: 2))
        let t0 = ContinuousClock.now
        let starts = (0..<4).map { _ in gate.reserve(now: t0, latest: t0 + Self.far) }
        #expect(starts == [t0, t0, t0 + .milliseconds(100), t0 + .milliseconds(200)])
    }

    @Test func tokensAccrueWhileNobodyCalls() {
        let gate = RateGate(RateLimitConfig(perSecond: 2, burst: 1))
        let t0 = ContinuousClock.now
        #expect(gate.reserve(now: t0, latest: t0 + Self.far) == t0)
        #expect(gate.reserve(now: t0 + .seconds(5), latest: t0 + Self.far) == t0 + .seconds(5), "one token saved up, not ten")
        #expect(gate.reserve(now: t0 + .seconds(5), latest: t0 + Self.far) == t0 + .milliseconds(5500))
    }

    @Test func aCallThatCouldOnlyGoAfterItsLatestTakesNoToken() {
        let gate = RateGate(RateLimitConfig(perSecond: 1, burst: 1))
        let t0 = ContinuousClock.now
        #expect(gate.reserve(now: t0, latest: t0 + Self.far) == t0)
        #expect(gate.reserve(now: t0, latest: t0 + .milliseconds(500)) == nil)
        #expect(gate.reserve(now: t0, latest: t0 + Self.far) == t0 + .seconds(1), "the refused call took nothing")
    }

    /// With no time left the deadline stops the call, not the gate: it is not told "rate limited"
    /// (there may be no limit at all) and takes no token.
    @Test func aCallWithNoTimeLeftIsNotTheGatesToRefuse() {
        let t0 = ContinuousClock.now
        #expect(RateGate(nil).reserve(now: t0, latest: t0 - .milliseconds(1)) == t0)
        let gate = RateGate(RateLimitConfig(perSecond: 1, burst: 1))
        #expect(gate.reserve(now: t0, latest: t0 - .milliseconds(1)) == t0)
        #expect(gate.reserve(now: t0, latest: t0 + Self.far) == t0, "the late call took no token")
    }

    @Test func aPauseHoldsEveryCallEvenWithoutARateLimit() {
        let gate = RateGate(nil)
        let t0 = ContinuousClock.now
        #expect(gate.reserve(now: t0, latest: t0 + Self.far) == t0)
        gate.pause(until: t0 + .seconds(2))
        gate.pause(until: t0 + .seconds(1))
        #expect(gate.reserve(now: t0, latest: t0 + Self.far) == t0 + .seconds(2), "a shorter pause never shortens a longer one")
        #expect(gate.reserve(now: t0, latest: t0 + .seconds(1)) == nil)
        #expect(gate.reserve(now: t0 + .seconds(3), latest: t0 + Self.far) == t0 + .seconds(3))
    }

    /// Records when each call reached the upstream; the first answers 429 with `Retry-After: 5`.
    final class Upstream: @unchecked Sendable {  // unchecked: `sent` is touched only under `lock`
        private let lock = NSLock()
        private var sent: [ContinuousClock.Instant] = []
        let clock: ManualClock
        init(clock: ManualClock) { self.clock = clock }
        var sends: [ContinuousClock.Instant] { lock.withLock { sent } }

        var call: UpstreamCall {
            { _, _ in
                let first = self.lock.withLock {
                    self.sent.append(self.clock.now)
                    return self.sent.count == 1
                }
                let response =
                    first ? CurlResponse(status: 429, headers: [HTTPHeader("Retry-After", "5")]) : CurlResponse(status: 200)
                return UpstreamReply(result: .success(response), attempts: 1)
            }
        }
    }

    @Test func aCallWaitsForItsTokenAndA429PausesTheWholeUpstream() async {
        let clock = ManualClock()
        let upstream = Upstream(clock: clock)
        let waits = LockedCounts<[Duration]>([])
        let layer = RateLimitLayer(
            gate: RateGate(RateLimitConfig(perSecond: 1, burst: 1)), clock: UpstreamClock(clock), wallClock: { Date() },
            onWait: { wait in waits.withLock { $0.append(wait) } })
        let call = layer.wrap(upstream.call)
        let t0 = clock.now
        let context = CallContext(deadline: t0 + .seconds(60), logger: Logger(label: "test"), requestID: "r")
        let first = await call(UpstreamRequest(path: "/a", json: nil), context)
        #expect(first.statusLabel == "429")

        // Its token would come at t0 + 1 s, but the 429 paused the upstream until t0 + 5 s.
        let second = Task { await call(UpstreamRequest(path: "/b", json: nil), context) }
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(4))
        #expect(upstream.sends.count == 1, "still paused")
        clock.advance(by: .seconds(1))
        #expect(await second.value.statusLabel == "200")
        #expect(upstream.sends == [t0, t0 + .seconds(5)])
        #expect(waits.withLock { $0 } == [.seconds(5)])
    }

    @Test func aTokenAfterTheDeadlineIsNotWaitedForAndNothingIsSent() async {
        let clock = ManualClock()
        let upstream = Upstream(clock: clock)
        let layer = RateLimitLayer(
            gate: RateGate(RateLimitConfig(perSecond: 1, burst: 1)), clock: UpstreamClock(clock), wallClock: { Date() }, onWait: { _ in })
        let call = layer.wrap(upstream.call)
        let soon = CallContext(deadline: clock.now + .milliseconds(500), logger: Logger(label: "test"), requestID: "r")
        _ = await call(UpstreamRequest(path: "/a", json: nil), soon)
        let refused = await call(UpstreamRequest(path: "/b", json: nil), soon)
        #expect(refused.attempts == 0)
        #expect(upstream.sends.count == 1)
        guard case .failure(let failure) = refused.result else {
            Issue.record("expected no answer")
            return
        }
        let resolution = CommonAnswers.failure(failure, provider: "Meibel")
        #expect(resolution.error?.code == .rateLimited)
        #expect(resolution.retryable)
        #expect(resolution.httpStatus == nil, "no HTTP answer came")
    }

    @Test func rateLimitIsReadFromRoutesJSON() throws {
        let json = #"{"upstreams": {"m": {"provider": "meibel", "base_url": "https://m.example", "rate_limit": {"per_second": 20}}}}"#
        let config = try ConfigLoader.load(data: Data(json.utf8), environment: [:])
        #expect(config.upstreams[0].rateLimit == RateLimitConfig(perSecond: 20, burst: 20))
        let plain = try ConfigLoader.load(data: Data(#"{"upstreams": {"m": {"provider": "meibel", "base_url": "https://m.example"}}}"#.utf8), environment: [:])
        #expect(plain.upstreams[0].rateLimit == nil)
    }
}
