internal import CancelgateWire
internal import CurlClient

/// Every general rule about answers that may hide an upstream action, in one place. (What a
/// provider's "already cancelled" means after such an attempt is that provider's, in its adapter.)
///
/// An attempt is in doubt when the request went out and its answer was lost or is not the
/// upstream's own:
/// - a timeout or a closed connection after the request was sent;
/// - the transfer cancelled (request deadline) after the request was sent;
/// - libcurl resending the request on a fresh connection (`timesSent` > 1);
/// - a 502 or 504: a proxy answered, the provider behind it may have acted.
enum InDoubt {
    static let gatewayStatuses: Set<Int> = [502, 504]

    static func attempt(_ result: CallResult) -> Bool {
        switch result {
        case .success(let response):
            return response.timesSent > 1 || gatewayStatuses.contains(response.status)
        case .failure(.transport(let error)):
            return error.timesSent > 1 || (error.requestSent && [.timeout, .connectionClosed, .cancelled].contains(error.kind))
        case .failure:
            return false
        }
    }

    /// Failures that say the run was certainly not cancelled by any attempt.
    static let definiteFailures: Set<ErrorCode> = [.notCancellable, .invalidID, .endpointNotFound]
    /// Failures whose own code already tells a caller the run may have been cancelled.
    static let saysInDoubt: Set<ErrorCode> = [.upstreamTimeout, .connectionClosed, .deadlineExceeded]
}

extension Resolution {
    /// This resolution reached after `attempts` sends; a failure that outlived retries says so.
    /// `inDoubt`: an earlier send may have acted upstream unanswered. A failure then says
    /// `in_doubt` (retryable): the run may already be cancelled, and only asking again can tell.
    func attempted(_ attempts: Int, inDoubt: Bool = false) -> Resolution {
        var copy = with(attempts: attempts)
        guard outcome == .failed, let error else { return copy }
        if inDoubt, !InDoubt.definiteFailures.contains(error.code), !InDoubt.saysInDoubt.contains(error.code) {
            copy.retryable = true
            copy.error = ItemError(
                .inDoubt, "An earlier attempt may already have cancelled the run; the last one failed: \(error.message) \(attempts) attempts were made.")
        } else if attempts > 1 {
            copy.error = ItemError(error.code, "\(error.message) \(attempts) attempts were made.")
        }
        return copy
    }
}
