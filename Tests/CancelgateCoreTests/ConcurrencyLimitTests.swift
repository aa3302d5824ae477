import CancelgateWire
@testable import CurlClient
import Foundation
import Logging
import Testing

@testable import CancelgateCore

/// `concurrency` is a limit per upstream for the whole gateway, not per request: concurrent
/// requests share it, a waiting call gives up at its deadline, and a cancelled one stops waiting.
@Suite struct ConcurrencyLimitTests {
    /// Answers 200 after a short pause and remembers the most calls it ever had at once.
    final class GaugedTransport: HTTPTransport, @unchecked Sendable {
        private let lock = NSLock()
        private var inFlight = 0
        private(set) var peak = 0
        private(set) var calls = 0
        let pause: Duration
        private(set) var timeouts: [Duration] = []

        init(pause: Duration = .milliseconds(20)) { self.pause = pause }

        var snapshot: (peak: Int, calls: Int) { lock.withLock { (peak, calls) } }
        var lockedTimeouts: [Duration] { lock.withLock { timeouts } }

        func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
            lock.withLock {
                inFlight += 1
                calls += 1
                peak = max(peak, inFlight)
                timeouts.append(request.timeout)
            }
            try? await Task.sleep(for: pause)
            lock.withLock { inFlight -= 1 }
            if Task.isCancelled { throw CurlError(kind: .cancelled, call: "transfer", requestSent: true, message: "cancelled") }
            // A provider slower than the call's timeout is a timeout, whatever the wall clock did.
            guard pause <= request.timeout else { throw CurlError(kind: .timeout, call: "transfer", requestSent: true, message: "slow") }
            return CurlResponse(status: 200, body: Data(#"{"status": "CANCELED"}"#.utf8))
        }
    }

    static func config(concurrency: Int, timeoutMs: Int = 10_000, upstreamTimeoutMs: Int = 10_000) -> RoutesConfig {
        var meibel = UpstreamConfig(name: "meibel", provider: .meibel, baseURL: "http://127.0.0.1:9")
        meibel.concurrency = concurrency
        meibel.timeoutMs = upstreamTimeoutMs
        var config = RoutesConfig(upstreams: [meibel])
        config.server.requestTimeoutMs = timeoutMs
        return config
    }

    static func request(_ count: Int) -> CancelRequest {
        CancelRequest(requestID: UUID().uuidString, reason: "test", entries: (0..<count).map { CancelEntry(id: "bex_\($0)_\(UUID().uuidString.prefix(8))", upstream: "meibel") })
    }

    @Test func concurrentRequestsShareTheUpstreamsLimit() async throws {
        let transport = GaugedTransport()
        let service = CancelService(config: Self.config(concurrency: 3), transport: transport)
        let reports = await withTaskGroup(of: CancelReport.self) { group in
            for _ in 0..<4 { group.addTask { await service.cancel(Self.request(6), logger: Logger(label: "test")) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.allSatisfy { $0.summary.succeeded == 6 })
        let seen = transport.snapshot
        #expect(seen.calls == 24)
        #expect(seen.peak == 3, "4 requests × 6 Meibel calls never had more than `concurrency` in flight")
    }

    /// Answers its first `answered` calls at once; holds every later one until its task is
    /// cancelled (a curl transfer cut off by the request's deadline).
    final class HoldingTransport: HTTPTransport, @unchecked Sendable {  // unchecked: vars only under `lock`
        private let lock = NSLock()
        private var inFlight = 0
        private var peak = 0
        private var calls = 0
        let answered: Int
        let held: AsyncStream<Void>.Continuation

        init(answered: Int, held: AsyncStream<Void>.Continuation) {
            self.answered = answered
            self.held = held
        }

        var snapshot: (peak: Int, calls: Int) { lock.withLock { (peak, calls) } }

        func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
            let number: Int = lock.withLock {
                inFlight += 1
                calls += 1
                peak = max(peak, inFlight)
                return calls
            }
            defer { lock.withLock { inFlight -= 1 } }
            guard number > answered else { return CurlResponse(status: 200, body: Data(#"{"status": "CANCELED"}"#.utf8)) }
            held.yield()
            try? await Task.sleep(for: .seconds(3600))  // ends at once when cancelled
            throw CurlError(kind: .cancelled, call: "transfer", requestSent: true, message: "cancelled")
        }
    }

    /// One slot, six calls, the third never answered: when the deadline passes (a manual clock)
    /// the held call is cut off and the three still queued were never sent, and say so.
    @Test func aCallStillQueuedAtTheDeadlineIsNotSent() async throws {
        let clock = ManualClock()
        let held = AsyncStream<Void>.makeStream()
        let transport = HoldingTransport(answered: 2, held: held.continuation)
        let config = Self.config(concurrency: 1, timeoutMs: 1_000)
        let service = CancelService(config: config, dispatcher: Dispatcher(config: config, transport: transport, clock: UpstreamClock(clock)))
        let report = Task { await service.cancel(Self.request(6), logger: Logger(label: "test")) }
        var arrivals = held.stream.makeAsyncIterator()
        _ = await arrivals.next()
        await clock.waitForSleepers(1)  // the deadline
        clock.advance(by: .seconds(1))
        let results = await report.value.results
        #expect(results[0...1].allSatisfy { $0.outcome == .cancelled && $0.attempts == 1 })
        #expect(results[2].outcome == .failed && results[2].retryable && results[2].attempts == 1, "\(results[2])")
        #expect([.deadlineExceeded, .inDoubt].contains(results[2].error?.code), "the cut-off call may have acted: \(results[2])")
        for result in results[3...] {
            #expect(result.outcome == .failed && result.retryable && result.error?.code == .deadlineExceeded && result.attempts == 0, "\(result)")
        }
        #expect(transport.snapshot.calls == 3, "an item's attempts are the calls it made")
        #expect(transport.snapshot.peak == 1)
    }

    @Test func aCancelledWaiterLeavesWithoutAPermit() async throws {
        let semaphore = AsyncSemaphore(permits: 1)
        #expect(await semaphore.acquire())
        let waiter = Task { await semaphore.acquire() }
        waiter.cancel()
        #expect(await waiter.value == false)
        semaphore.release()
        // The permit went back to the pool, not to the cancelled waiter.
        #expect(await semaphore.acquire())
    }

    /// Waiting for a slot does not eat the call's own timeout: 16 calls of 40 ms queue on one slot
    /// of an upstream with a 100 ms `timeout_ms`; every one is sent with its whole 100 ms and
    /// succeeds, although most waited far longer than 100 ms for the slot.
    @Test func queuedCallsGetTheirWholeTimeout() async throws {
        let transport = GaugedTransport(pause: .milliseconds(40))
        let service = CancelService(config: Self.config(concurrency: 1, timeoutMs: 60_000, upstreamTimeoutMs: 100), transport: transport)
        let reports = await withTaskGroup(of: CancelReport.self) { group in
            for _ in 0..<8 { group.addTask { await service.cancel(Self.request(2), logger: Logger(label: "test")) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        for report in reports {
            #expect(report.results.allSatisfy { $0.outcome == .cancelled && $0.attempts == 1 }, "\(report.results.map { $0.error?.code })")
        }
        let seen = transport.snapshot
        #expect(seen.calls == 16, "no attempt was abandoned and sent again")
        #expect(seen.peak == 1)
        #expect(transport.lockedTimeouts.allSatisfy { $0 == .milliseconds(100) })
    }

    /// A reload builds a new dispatcher over the same registry: calls of both share one limit.
    @Test func dispatchersOfOneRegistryShareTheLimit() async throws {
        let transport = GaugedTransport()
        let registry = UpstreamRegistry()
        let before = CancelService(config: Self.config(concurrency: 3), transport: transport, registry: registry)
        let after = CancelService(config: Self.config(concurrency: 3), transport: transport, registry: registry)
        await withTaskGroup(of: Void.self) { group in
            for service in [before, after, before, after] {
                group.addTask { _ = await service.cancel(Self.request(6), logger: Logger(label: "test")) }
            }
        }
        #expect(transport.snapshot.calls == 24)
        #expect(transport.snapshot.peak == 3, "the old and the new configuration together stay within `concurrency`")
    }

    /// A lowered limit counts the permits still held: new callers wait until holders are within it.
    @Test func aLoweredLimitCountsThePermitsStillHeld() async throws {
        let semaphore = AsyncSemaphore(permits: 2)
        #expect(await semaphore.acquire())
        #expect(await semaphore.acquire())
        semaphore.setLimit(1)
        let granted = LockedCounts(false)
        let waiter = Task {
            let got = await semaphore.acquire()
            granted.withLock { $0 = got }
            return got
        }
        semaphore.release()
        // One holder left: that is the new limit, so the waiter still waits.
        await Task.yield()
        #expect(granted.withLock { $0 } == false)
        semaphore.release()
        #expect(await waiter.value)
        semaphore.setLimit(3)
        #expect(await semaphore.acquire())
        #expect(await semaphore.acquire())
    }
}
