/// One `execute` call as both sides see it: the request, and a completion slot that resumes the
/// awaiting task exactly once, whoever gets there first (driver, early cancellation, shutdown).
final class Transfer: Sendable {
    typealias Continuation = CheckedContinuation<Result<CurlResponse, CurlError>, Never>

    private struct State {
        var continuation: Continuation?
        var cancelRequested = false
    }

    let request: CurlRequest
    private let state = Locked(State())

    init(request: CurlRequest) {
        self.request = request
    }

    /// Stores the continuation of the awaiting task. Returns `false`, having already resumed it
    /// with `.cancelled`, when cancellation arrived before it (the task was cancelled before
    /// `execute` suspended, so `onCancel` ran first and found nothing to resume).
    func register(_ continuation: Continuation) -> Bool {
        let cancelledEarly = state.withLock { state in
            if state.cancelRequested { return true }
            state.continuation = continuation
            return false
        }
        if cancelledEarly { continuation.resume(returning: .failure(.cancelled(requestSent: false))) }
        return !cancelledEarly
    }

    /// Records cancellation. Returns `true` when the driver must be told: a continuation is
    /// registered and not yet resumed, so the transfer is queued or in flight.
    func requestCancel() -> Bool {
        state.withLock { state in
            state.cancelRequested = true
            return state.continuation != nil
        }
    }

    /// Checked by the driver before it starts the transfer: a cancel command may have overtaken
    /// the add command (see `Driver`).
    var isCancelRequested: Bool {
        state.withLock { $0.cancelRequested }
    }

    /// Resumes the awaiting task; later calls do nothing.
    func finish(_ result: Result<CurlResponse, CurlError>) {
        let continuation = state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: result)
    }
}
