internal import Dispatch
internal import Foundation

/// A sleep on the continuous clock that lets go of everything it holds as soon as it is cancelled.
///
/// `Task.sleep` (Swift 6.3.1 on Linux) resumes a cancelled sleeper at once, but its timer stays
/// queued until the original deadline and keeps the sleeping task's memory alive until then.
/// Every request sleeps until its deadline beside its calls and cancels that sleep when they are
/// done, so under load the gateway held requests/s × `request_timeout_ms` dead timers and tasks:
/// heaptrack counted 18.8 MB held by 61,831 cancelled sleeps after 63,000 single-ID requests, and
/// RSS grew from 46 to 176 MiB in 30 s of `wrk -c64`. Here a sleep waits in a `SleepQueue` and a
/// cancelled one leaves it at once.
enum PromptSleep {
    /// Returns at `deadline` or throws `CancellationError` as soon as the task is cancelled.
    static func sleep(until deadline: ContinuousClock.Instant, in queue: SleepQueue = .shared) async throws {
        guard deadline > ContinuousClock.now else {
            try Task.checkCancellation()
            return
        }
        let sleeper = Sleeper(deadline: deadline)
        observer?(sleeper)
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                queue.add(sleeper, continuation)
            }
        } onCancel: {
            queue.cancel(sleeper)
        }
    }

    /// Tests: shown each sleep's object, to check that none outlives its sleep.
    @TaskLocal static var observer: (@Sendable (AnyObject) -> Void)?
}

/// One sleep: its deadline, and while it waits its continuation and place in the queue.
// unchecked Sendable: the mutable fields are read and written only while holding the lock of the
// `SleepQueue` it is given to.
final class Sleeper: @unchecked Sendable {
    let deadline: ContinuousClock.Instant
    fileprivate var continuation: CheckedContinuation<Void, any Error>?
    /// Index in the queue's heap; -1 when not in it.
    fileprivate var position = -1
    fileprivate var cancelled = false

    init(deadline: ContinuousClock.Instant) {
        self.deadline = deadline
    }
}

/// The sleeps of the process in one min-heap by deadline, with one dispatch timer set for the
/// earliest. A sleep costs a lock and a heap insertion; the timer is set again only when a sleep
/// is earlier than every other (request deadlines, which grow with arrival time, almost never
/// are), and a cancelled sleep leaves the heap at once, its timer setting left to lapse: when the
/// timer fires with nothing due, it is set for the sleep that is earliest then. One `Task.sleep`
/// or one dispatch timer per request, by comparison, programs a kernel or libdispatch timer twice
/// per request.
final class SleepQueue: @unchecked Sendable {
    static let shared = SleepQueue()

    // unchecked Sendable: `heap`, `armedFor` and `arms` are read and written only while holding
    // `lock` (an NSLock, which the thread sanitizer sees); `timer` is libdispatch's, thread-safe.
    private let lock = NSLock()
    private var heap: [Sleeper] = []
    /// The deadline the timer is set for, nil when it is not set.
    private var armedFor: ContinuousClock.Instant?
    private var arms = 0
    private let timer: any DispatchSourceTimer

    init() {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "cancelgate.sleep-queue"))
        timer.setEventHandler { [weak self] in self?.fire() }
        timer.schedule(deadline: .distantFuture)
        timer.activate()
    }

    deinit {
        timer.cancel()
    }

    /// Sleeps waiting (tests).
    var waiting: Int { lock.withLock { heap.count } }
    /// How many times the timer was set (tests).
    var timerSettings: Int { lock.withLock { arms } }

    fileprivate func add(_ sleeper: Sleeper, _ continuation: CheckedContinuation<Void, any Error>) {
        lock.lock()
        guard !sleeper.cancelled else {
            lock.unlock()
            continuation.resume(throwing: CancellationError())
            return
        }
        sleeper.continuation = continuation
        sleeper.position = heap.count
        heap.append(sleeper)
        siftUp(heap.count - 1)
        if armedFor.map({ sleeper.deadline < $0 }) ?? true { arm(sleeper.deadline) }
        lock.unlock()
    }

    fileprivate func cancel(_ sleeper: Sleeper) {
        lock.lock()
        sleeper.cancelled = true
        if sleeper.position >= 0 { remove(at: sleeper.position) }
        let continuation = sleeper.continuation
        sleeper.continuation = nil
        lock.unlock()
        continuation?.resume(throwing: CancellationError())
    }

    private func fire() {
        let now = ContinuousClock.now
        var due: [CheckedContinuation<Void, any Error>] = []
        lock.lock()
        while let first = heap.first, first.deadline <= now {
            remove(at: 0)
            if let continuation = first.continuation { due.append(continuation) }
            first.continuation = nil
        }
        armedFor = nil
        if let next = heap.first { arm(next.deadline) }
        lock.unlock()
        for continuation in due { continuation.resume() }
    }

    /// With `lock` held.
    private func arm(_ deadline: ContinuousClock.Instant) {
        armedFor = deadline
        arms += 1
        timer.schedule(deadline: Self.dispatchTime(deadline), leeway: .nanoseconds(0))
    }

    private static func dispatchTime(_ deadline: ContinuousClock.Instant) -> DispatchTime {
        let (seconds, attoseconds) = max(.zero, ContinuousClock.now.duration(to: deadline)).components
        // About 292 years of nanoseconds fit in an Int; anything longer is "never" here.
        guard seconds < 1 << 32 else { return .distantFuture }
        return .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }

    // MARK: the heap (with `lock` held); each sleeper knows its position

    private func remove(at index: Int) {
        let removed = heap[index]
        let last = heap.removeLast()
        removed.position = -1
        guard index < heap.count else { return }
        heap[index] = last
        last.position = index
        siftDown(index)
        siftUp(last.position)
    }

    private func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            swapAt(child, parent)
            child = parent
        }
    }

    private func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != parent else { return }
            swapAt(parent, smallest)
            parent = smallest
        }
    }

    private func swapAt(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        heap[a].position = a
        heap[b].position = b
    }
}
