import Foundation

/// A clock that moves only when a test advances it (as Hummingbird's own MockClock), with
/// `ContinuousClock`'s instants so it can stand in for the gateway's `UpstreamClock`.
final class ManualClock: Clock, @unchecked Sendable {  // unchecked: every var is touched only under `lock`
    typealias Instant = ContinuousClock.Instant
    typealias Duration = Swift.Duration

    private let lock = NSLock()
    private var current = ContinuousClock.now
    private var sleepers: [(id: UInt64, until: Instant, continuation: CheckedContinuation<Void, any Error>)] = []
    private var cancelledEarly: Set<UInt64> = []
    private var nextID: UInt64 = 0

    var now: Instant { lock.withLock { current } }
    var minimumResolution: Duration { .nanoseconds(1) }

    /// Tasks sleeping on this clock right now.
    var sleeping: Int { lock.withLock { sleepers.count } }

    func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id: UInt64 = lock.withLock {
            nextID += 1
            return nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let immediate: Result<Void, any Error>? = lock.withLock {
                    if cancelledEarly.remove(id) != nil { return .failure(CancellationError()) }
                    if deadline <= current { return .success(()) }
                    sleepers.append((id, deadline, continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let sleeper: CheckedContinuation<Void, any Error>? = lock.withLock {
                if let index = sleepers.firstIndex(where: { $0.id == id }) { return sleepers.remove(at: index).continuation }
                cancelledEarly.insert(id)
                return nil
            }
            sleeper?.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose instant has come.
    func advance(by duration: Duration) {
        let woken: [CheckedContinuation<Void, any Error>] = lock.withLock {
            current = current + duration
            let due = sleepers.filter { $0.until <= current }
            sleepers.removeAll { $0.until <= current }
            return due.map(\.continuation)
        }
        for sleeper in woken { sleeper.resume() }
    }

    /// Returns once `count` tasks sleep on this clock: the test's point of synchronisation.
    func waitForSleepers(_ count: Int) async {
        while sleeping < count { await Task.yield() }
    }

    /// Returns once some task sleeps until exactly `instant` (e.g. `now + interval`).
    func waitForSleeper(until instant: Instant) async {
        while !lock.withLock({ sleepers.contains { $0.until == instant } }) { await Task.yield() }
    }
}
