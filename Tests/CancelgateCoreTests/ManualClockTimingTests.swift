import CancelgateWire
@testable import CurlClient
import Foundation
import Logging
import Testing

@testable import CancelgateCore

/// Timing rules on a manual clock: the request's deadline ends calls still waiting, and C1's
/// token is fetched again once it is about to expire. No real time passes.
@Suite struct ManualClockTimingTests {
    /// Answers nothing; the call ends when its task is cancelled (as a curl transfer does).
    struct SilentUpstream: HTTPTransport {
        let arrivals: AsyncStream<Void>.Continuation

        func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
            arrivals.yield()
            try? await Task.sleep(for: .seconds(3600))  // ends at once when cancelled
            throw CurlError(kind: .cancelled, call: "transfer", requestSent: true, message: "cancelled")
        }
    }

    @Test func theRequestsDeadlineEndsWhatIsStillUnanswered() async {
        let clock = ManualClock()
        let arrivals = AsyncStream<Void>.makeStream()
        var meibel = UpstreamConfig(name: "meibel", provider: .meibel, baseURL: "http://m")
        meibel.concurrency = 1
        let config = RoutesConfig(server: ServerConfig(requestTimeoutMs: 5_000), upstreams: [meibel])
        let service = CancelService(
            config: config, dispatcher: Dispatcher(config: config, transport: SilentUpstream(arrivals: arrivals.continuation), clock: UpstreamClock(clock)))
        let request = CancelRequest(requestID: "r", reason: "x", entries: ["bex_1", "bex_2"].map { CancelEntry(id: $0, upstream: "meibel") })
        let report = Task { await service.cancel(request, logger: Logger(label: "test")) }
        var sent = arrivals.stream.makeAsyncIterator()
        _ = await sent.next()
        // One call is with the silent upstream, the other waits for the one slot; the deadline
        // is the one sleeper.
        await clock.waitForSleepers(1)
        clock.advance(by: .milliseconds(4_999))
        #expect(clock.sleeping == 1, "not yet")
        clock.advance(by: .milliseconds(1))
        let results = await report.value.results
        #expect(results.map(\.outcome) == [.failed, .failed])
        #expect(results.allSatisfy { $0.error?.code == .deadlineExceeded && $0.retryable })
        #expect(results[1].attempts == 0, "the queued call was never sent")
    }

    /// Skyvern's bulk call is answered only once the deadline has passed ("failed": the run needs
    /// asking again); the follow-up that would explain it is never sent.
    struct LateBulkAnswer: HTTPTransport {
        let arrivals: AsyncStream<Void>.Continuation

        func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
            arrivals.yield()
            try? await Task.sleep(for: .seconds(3600))  // until the deadline cancels it
            return CurlResponse(status: 200, body: Data(#"{"cancelled":[],"failed":["tsk_1"]}"#.utf8))
        }
    }

    @Test func aFollowUpTheDeadlineLeftUnsentKeepsTheAttemptsBeforeIt() async {
        let clock = ManualClock()
        let arrivals = AsyncStream<Void>.makeStream()
        let config = RoutesConfig(
            server: ServerConfig(requestTimeoutMs: 5_000), upstreams: [UpstreamConfig(name: "skyvern", provider: .skyvern, baseURL: "http://s")])
        let service = CancelService(
            config: config, dispatcher: Dispatcher(config: config, transport: LateBulkAnswer(arrivals: arrivals.continuation), clock: UpstreamClock(clock)))
        let report = Task {
            await service.cancel(CancelRequest(requestID: "r", reason: "x", entries: [CancelEntry(id: "tsk_1", upstream: "skyvern")]), logger: Logger(label: "t"))
        }
        var sent = arrivals.stream.makeAsyncIterator()
        _ = await sent.next()
        await clock.waitForSleepers(1)
        clock.advance(by: .seconds(5))
        let result = await report.value.results[0]
        #expect(result.outcome == .failed)
        #expect(result.error?.code == .deadlineExceeded)
        #expect(result.attempts == 1, "the bulk call was sent")
        #expect(result.error?.message.contains("asked about this run again") == true)
    }

    final class TokenEndpoint: HTTPTransport {
        let fetches = LockedCounts(0)
        func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
            let n = fetches.withLock { n in
                n += 1
                return n
            }
            return CurlResponse(status: 200, body: Data(#"{"access_token":"t\#(n)","expires_in":600}"#.utf8))
        }
    }

    @Test func c1sTokenIsFetchedAgain30SecondsBeforeItExpires() async {
        let clock = ManualClock()
        let endpoint = TokenEndpoint()
        let source = C1TokenSource(
            tokenURL: "https://t/auth/v1/token", clientID: "abc@t/pcc", clientSecret: Secret("plain"), transport: endpoint, clock: UpstreamClock(clock))
        #expect(await source.accessToken() == .success("t1"))
        clock.advance(by: .seconds(569))
        #expect(await source.accessToken() == .success("t1"), "still 31 s to go")
        clock.advance(by: .seconds(1))
        #expect(await source.accessToken() == .success("t2"))
        #expect(endpoint.fetches.withLock { $0 } == 2)
    }
}
