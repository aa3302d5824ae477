internal import Dispatch
internal import Foundation

/// A sleep on the continuous clock that lets go of everything it holds as soon as it is cancelled.
///
/// `Task.sleep` (Swift 6.3.1 on Linux) resumes a cancelled sleeper at once, but its timer stays
/// queued until the original deadline and keeps the sleeping task's memory alive until then.
/// Every request sleeps until its deadline beside its calls and cancels that sleep when they are
/// done, so under load the gateway held requests/s × `request_timeout_ms` dead timers and tasks:
/// heaptrack counted 18.8 MB held by 61,831 cancelled sleeps after 63,000 single-ID requests, and
/// RSS grew from 46 to 176 MiB in 30 s of `wrk -c64`. Here the timer is a `DispatchSourceTimer`,
/// cancelled and released with the sleep.
enum PromptSleep {
    /// Returns at `deadline` or throws `CancellationError` as soon as the task is cancelled.
    static func sleep(until deadline: ContinuousClock.Instant) async throws {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else {
            try Task.checkCancellation()
            return
        }
        let timer = SleepTimer()
        observer?(timer)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                timer.start(after: remaining, continuation)
            }
        } onCancel: {
            timer.cancel()
        }
    }

    /// Tests: shown each sleep's timer object, to check that none outlives its sleep.
    @TaskLocal static var observer: (@Sendable (AnyObject) -> Void)?
}

/// One sleep's timer and continuation. Whichever of `fire` and `cancel` comes first resumes the
/// continuation and cancels the timer; the other finds nothing to do.
// unchecked Sendable: `continuation`, `source` and `cancelled` are read and written only while
// holding `lock` (an NSLock, which the thread sanitizer sees).
private final class SleepTimer: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, any Error>?
    private var source: (any DispatchSourceTimer)?
    private var cancelled = false

    func start(after remaining: Duration, _ continuation: CheckedContinuation<Void, any Error>) {
        lock.lock()
        guard !cancelled else {
            lock.unlock()
            continuation.resume(throwing: CancellationError())
            return
        }
        self.continuation = continuation
        // Made and activated under the lock: an inactive dispatch source must never be released,
        // and the handler (on another queue) waits for the lock before it looks.
        let source = DispatchSource.makeTimerSource(queue: .global())
        source.setEventHandler { [self] in finish(with: nil) }
        source.schedule(deadline: Self.dispatchDeadline(after: remaining), leeway: .nanoseconds(0))
        self.source = source
        source.activate()
        lock.unlock()
    }

    func cancel() {
        finish(with: CancellationError())
    }

    private func finish(with error: (any Error)?) {
        lock.lock()
        let continuation = self.continuation
        let source = self.source
        self.continuation = nil
        self.source = nil
        cancelled = true
        lock.unlock()
        // Cancelling the source releases its handler (and with it this object's last reference).
        source?.cancel()
        guard let continuation else { return }
        if let error { continuation.resume(throwing: error) } else { continuation.resume() }
    }

    private static func dispatchDeadline(after remaining: Duration) -> DispatchTime {
        let (seconds, attoseconds) = remaining.components
        // About 292 years of nanoseconds fit in an Int; anything longer is "never" here.
        guard seconds < 1 << 32 else { return .distantFuture }
        return .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
