public import CancelgateWire
/// The answer for one unique (upstream, id) unit: what an adapter concluded from upstream answers.
public struct Resolution: Sendable, Equatable {
    public var outcome: Outcome
    public var retryable: Bool
    public var httpStatus: Int?
    public var cancelledAt: String?
    public var error: ItemError?
    /// Upstream calls that tried to cancel this item.
    public var attempts: Int

    public init(outcome: Outcome, retryable: Bool = false, httpStatus: Int? = nil, cancelledAt: String? = nil, error: ItemError? = nil, attempts: Int = 1) {
        self.outcome = outcome
        self.retryable = retryable
        self.httpStatus = httpStatus
        self.cancelledAt = cancelledAt
        self.error = error
        self.attempts = attempts
    }

    public static func success(_ outcome: Outcome, status: Int?, cancelledAt: String? = nil) -> Resolution {
        Resolution(outcome: outcome, httpStatus: status, cancelledAt: cancelledAt)
    }

    /// A non-success outcome with its reason.
    public static func refused(_ outcome: Outcome, _ code: ErrorCode, _ message: String, status: Int? = nil, retryable: Bool = false) -> Resolution {
        Resolution(outcome: outcome, retryable: retryable, httpStatus: status, error: ItemError(code, message))
    }

    /// `failed`, with its reason.
    public static func failure(_ code: ErrorCode, _ message: String, status: Int? = nil, retryable: Bool) -> Resolution {
        refused(.failed, code, message, status: status, retryable: retryable)
    }

    /// Decided locally: no upstream call was made.
    public static func local(_ outcome: Outcome, _ code: ErrorCode, _ message: String) -> Resolution {
        Resolution(outcome: outcome, retryable: false, error: ItemError(code, message), attempts: 0)
    }

    public func with(attempts: Int) -> Resolution {
        var copy = self
        copy.attempts = attempts
        return copy
    }
}
