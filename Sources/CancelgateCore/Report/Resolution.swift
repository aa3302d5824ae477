internal import CancelgateWire
/// The answer for one unique (upstream, id) unit: what an adapter concluded from upstream answers.
struct Resolution: Sendable, Equatable {
    var outcome: Outcome
    var retryable: Bool
    var httpStatus: Int?
    var cancelledAt: String?
    var error: ItemError?
    /// Upstream calls that tried to cancel this item.
    var attempts: Int
    /// The provider's status word, when a status read decided or confirmed this resolution.
    var providerStatus: String?
    /// Set by confirmation only (CONTRACT §7).
    var confirmed: Bool?

    init(outcome: Outcome, retryable: Bool = false, httpStatus: Int? = nil, cancelledAt: String? = nil, error: ItemError? = nil, attempts: Int = 1) {
        self.outcome = outcome
        self.retryable = retryable
        self.httpStatus = httpStatus
        self.cancelledAt = cancelledAt
        self.error = error
        self.attempts = attempts
    }

    static func success(_ outcome: Outcome, status: Int?, cancelledAt: String? = nil) -> Resolution {
        Resolution(outcome: outcome, httpStatus: status, cancelledAt: cancelledAt)
    }

    /// A non-success outcome with its reason.
    static func refused(_ outcome: Outcome, _ code: ErrorCode, _ message: String, status: Int? = nil, retryable: Bool = false) -> Resolution {
        Resolution(outcome: outcome, retryable: retryable, httpStatus: status, error: ItemError(code, message))
    }

    /// `failed`, with its reason.
    static func failure(_ code: ErrorCode, _ message: String, status: Int? = nil, retryable: Bool) -> Resolution {
        refused(.failed, code, message, status: status, retryable: retryable)
    }

    /// Decided locally: no upstream call was made.
    static func local(_ outcome: Outcome, _ code: ErrorCode, _ message: String) -> Resolution {
        Resolution(outcome: outcome, retryable: false, error: ItemError(code, message), attempts: 0)
    }

    func with(attempts: Int) -> Resolution {
        var copy = self
        copy.attempts = attempts
        return copy
    }
}
