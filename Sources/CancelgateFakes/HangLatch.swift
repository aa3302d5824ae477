import Synchronization

/// Why a held call stopped waiting.
enum HangEnd: Sendable {
    case released, timedOut, clientGone, cancelled
}

/// A one-shot latch a hanging call waits on. Resumed by whichever comes first: `releaseHangs()`/`reset()`,
/// the 60 s timer, the client closing its connection (a NIO callback, hence a lock rather than an actor),
/// or task cancellation. Resuming twice is a no-op.
final class HangLatch: Sendable {
    private enum State {
        case waiting(CheckedContinuation<HangEnd, Never>?)
        case ended(HangEnd)
    }

    private let state = Mutex<State>(.waiting(nil))

    func wait() async -> HangEnd {
        await withCheckedContinuation { continuation in
            let ended: HangEnd? = state.withLock { state in
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
        let continuation: CheckedContinuation<HangEnd, Never>? = state.withLock { state in
            guard case .waiting(let continuation) = state else { return nil }
            state = .ended(reason)
            return continuation
        }
        continuation?.resume(returning: reason)
    }
}
