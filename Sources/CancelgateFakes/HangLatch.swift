import Foundation

/// Why a held call stopped waiting.
enum HangEnd: Sendable {
    case released, timedOut, clientGone, cancelled
}

/// A one-shot latch a hanging call waits on. Resumed by whichever comes first: `releaseHangs()`/`reset()`,
/// the 60 s timer, the client closing its connection (a NIO callback, hence a lock rather than an actor),
/// or task cancellation. Resuming twice is a no-op.
// unchecked Sendable: `state` is only read or written while holding `lock`. An NSLock rather than
// Synchronization.Mutex, whose futex the thread sanitizer cannot see on Linux (it reports races).
final class HangLatch: @unchecked Sendable {
    private enum State {
        case waiting(CheckedContinuation<HangEnd, Never>?)
        case ended(HangEnd)
    }

    private let lock = NSLock()
    private var state: State = .waiting(nil)

    func wait() async -> HangEnd {
        await withCheckedContinuation { continuation in
            let ended: HangEnd? = withState { state in
                switch state {
                case .waiting:
                    state = .waiting(continuation)
                    return nil
                case .ended(let reason):
                    return reason
                }
            }
            if let ended { continuation.resume(returning: ended) }
        }
    }

    func resume(_ reason: HangEnd) {
        let continuation: CheckedContinuation<HangEnd, Never>? = withState { state in
            guard case .waiting(let continuation) = state else { return nil }
            state = .ended(reason)
            return continuation
        }
        continuation?.resume(returning: reason)
    }

    private func withState<T>(_ body: (inout State) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }
}
