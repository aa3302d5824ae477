import CancelgateWire
@testable import CurlClient
import Foundation
import Logging
import Testing

@testable import CancelgateCore

/// Confirmation's schedule on a manual clock (CONTRACT §7): a read at once after the cancel (always),
/// the next one `confirm_interval_ms` later while the run still runs, none past `confirm_max_wait_ms`.
@Suite struct ConfirmationTimingTests {
    /// C1: terminate answers 200 {}; each status read answers the next state of `states`.
    final class C1Upstream: HTTPTransport {
        let log: LockedCounts<(states: [String], reads: Int)>

        init(_ states: [String]) { log = LockedCounts((states, 0)) }

        var reads: Int { log.withLock { $0.reads } }

        func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
            guard request.method == "GET" else { return CurlResponse(status: 200, body: Data("{}".utf8)) }
            let state = log.withLock { log in
                log.reads += 1
                return log.states.count > 1 ? log.states.removeFirst() : log.states[0]
            }
            return CurlResponse(status: 200, body: Data(#"{"automationExecution":{"id":"7","state":"AUTOMATION_EXECUTION_STATE_\#(state)"}}"#.utf8))
        }
    }

    static func service(_ transport: C1Upstream, clock: ManualClock, intervalMs: Int, maxWaitMs: Int) -> CancelService {
        let c1 = UpstreamConfig(name: "c1", provider: .c1, baseURL: "http://c1", auth: .bearer(token: Secret("t")))
        let config = RoutesConfig(
            server: ServerConfig(requestTimeoutMs: 30_000, confirmIntervalMs: intervalMs, confirmMaxWaitMs: maxWaitMs), upstreams: [c1])
        return CancelService(config: config, dispatcher: Dispatcher(config: config, transport: transport, clock: UpstreamClock(clock)))
    }

    static let request = CancelRequest(requestID: "r", reason: "x", entries: [CancelEntry(id: "7", upstream: "c1")], confirm: true)

    @Test func readsRepeatEveryIntervalUntilTheRunStops() async {
        let clock = ManualClock()
        let transport = C1Upstream(["PROCESS_STEP", "COMPLETE_STEP", "TERMINATE"])
        let service = Self.service(transport, clock: clock, intervalMs: 500, maxWaitMs: 10_000)
        let report = Task { await service.cancel(Self.request, logger: Logger(label: "t")) }
        for reads in 1...2 {
            await clock.waitForSleeper(until: clock.now + .milliseconds(500))
            #expect(transport.reads == reads, "one read per interval")
            clock.advance(by: .milliseconds(500))
        }
        let result = await report.value.results[0]
        #expect(transport.reads == 3)
        #expect(result.outcome == .cancelled)
        #expect(result.confirmed == true)
        #expect(result.providerStatus == "AUTOMATION_EXECUTION_STATE_TERMINATE")
        #expect(result.attempts == 1, "reads are not cancel attempts")
    }

    /// Reads at 0, 500 and 1,000 ms; the next would come after the 1,200 ms allowed.
    @Test func readsStopAtTheMaximumWait() async {
        let clock = ManualClock()
        let transport = C1Upstream(["WAITING"])
        let service = Self.service(transport, clock: clock, intervalMs: 500, maxWaitMs: 1_200)
        let report = Task { await service.cancel(Self.request, logger: Logger(label: "t")) }
        for _ in 1...2 {
            await clock.waitForSleeper(until: clock.now + .milliseconds(500))
            clock.advance(by: .milliseconds(500))
        }
        let result = await report.value.results[0]
        #expect(transport.reads == 3)
        #expect(result.outcome == .cancelRequested)
        #expect(result.confirmed == false)
        #expect(result.providerStatus == "AUTOMATION_EXECUTION_STATE_WAITING")
    }

    /// `confirm_max_wait_ms: 0` still reads once: the wait bounds the repeats, not the first read.
    @Test func aZeroWaitStillReadsOnce() async {
        let clock = ManualClock()
        let transport = C1Upstream(["TERMINATE"])
        let service = Self.service(transport, clock: clock, intervalMs: 500, maxWaitMs: 0)
        let result = await service.cancel(Self.request, logger: Logger(label: "t")).results[0]
        #expect(transport.reads == 1)
        #expect(result.outcome == .cancelled)
        #expect(result.confirmed == true)
    }
}
