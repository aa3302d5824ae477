internal import Foundation

/// A counting semaphore for tasks: waiters are served first come, first served, and a waiting
/// task that is cancelled stops waiting at once (it gets no permit).
///
/// `@unchecked Sendable`: every stored property is read and written only under `lock` (NSLock,
/// not Synchronization.Mutex, which ThreadSanitizer cannot see on Linux).
public final class AsyncSemaphore: @unchecked Sendable {
    private let lock = NSLock()
    /// Free permits; negative after a lowered limit, until enough holders gave theirs back.
    private var permits: Int
    private var limit: Int
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Bool, Never>)] = []
    /// Waits cancelled before they were queued (the cancellation handler can run first).
    private var cancelledEarly: Set<UInt64> = []
    private var nextID: UInt64 = 0

    public init(permits: Int) {
        precondition(permits > 0, "a semaphore needs at least one permit")
        self.permits = permits
        self.limit = permits
    }

    /// A new limit (a reload's `concurrency`): permits held now count against it, so holders and
    /// new callers together never exceed it once the holders are done.
    func setLimit(_ newLimit: Int) {
        precondition(newLimit > 0, "a semaphore needs at least one permit")
        let woken: [CheckedContinuation<Bool, Never>] = lock.withLock {
            permits += newLimit - limit
            limit = newLimit
            var woken: [CheckedContinuation<Bool, Never>] = []
            while permits > 0, !waiters.isEmpty {
                permits -= 1
                woken.append(waiters.removeFirst().continuation)
            }
            return woken
        }
        for waiter in woken { waiter.resume(returning: true) }
    }

    /// True once a permit is held (give it back with `release()`); false if the task was
    /// cancelled before it got one.
    public func acquire() async -> Bool {
        // A cancelled task gets none; a free permit is taken without suspending (most calls).
        if Task.isCancelled { return false }
        let taken: Bool = lock.withLock {
            guard permits > 0, waiters.isEmpty else { return false }
            permits -= 1
            return true
        }
        if taken { return true }
        let id: UInt64 = lock.withLock {
            nextID += 1
            return nextID
        }
        let acquired = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let immediate: Bool? = lock.withLock {
                    if cancelledEarly.remove(id) != nil { return false }
                    if permits > 0 {
                        permits -= 1
                        return true
                    }
                    waiters.append((id, continuation))
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Bool, Never>? = lock.withLock {
                if let index = waiters.firstIndex(where: { $0.id == id }) {
                    return waiters.remove(at: index).continuation
                }
                cancelledEarly.insert(id)
                return nil
            }
            waiter?.resume(returning: false)
        }
        // A cancellation that came after the permit was granted left its mark: clear it.
        _ = lock.withLock { cancelledEarly.remove(id) }
        return acquired
    }

    public func release() {
        let next: CheckedContinuation<Bool, Never>? = lock.withLock {
            guard !waiters.isEmpty, permits >= 0 else {
                permits += 1
                return nil
            }
            return waiters.removeFirst().continuation
        }
        next?.resume(returning: true)
    }
}
