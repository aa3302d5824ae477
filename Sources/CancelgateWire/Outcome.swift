/// What happened to one requested item (CONTRACT §3): one of a fixed set of words. A struct, not
/// an enum, so a client still reads a report of a newer gateway that has a word it does not know.
public struct Outcome: RawRepresentable, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public static let cancelled = Outcome("cancelled")
    public static let cancelRequested = Outcome("cancel_requested")
    public static let alreadyTerminal = Outcome("already_terminal")
    public static let notFound = Outcome("not_found")
    public static let forbidden = Outcome("forbidden")
    public static let invalid = Outcome("invalid")
    public static let unroutable = Outcome("unroutable")
    public static let failed = Outcome("failed")
    /// Dry runs only: routable, valid, and would be sent.
    public static let planned = Outcome("planned")

    /// Every word a gateway writes, in the contract's order.
    public static let allCases: [Outcome] = [
        .cancelled, .cancelRequested, .alreadyTerminal, .notFound, .forbidden, .invalid, .unroutable, .failed, .planned,
    ]

    public var description: String { rawValue }

    /// Counted in `summary.succeeded`.
    public var isSuccess: Bool { self == .cancelled || self == .cancelRequested }

    /// Counted in `summary.failed`: everything but success, `already_terminal` and `planned`.
    public var isFailure: Bool { !isSuccess && self != .alreadyTerminal && self != .planned }
}

/// Stable, machine-readable reasons. Metric labels and `error.code` come from this fixed set,
/// never from upstream text. A struct for the reason `Outcome` is one.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public static let unroutable = ErrorCode("unroutable")
    public static let unknownUpstream = ErrorCode("unknown_upstream")
    public static let invalidID = ErrorCode("invalid_id")
    public static let forbidden = ErrorCode("forbidden")
    public static let notFound = ErrorCode("not_found")
    public static let alreadyTerminal = ErrorCode("already_terminal")
    public static let notCancellable = ErrorCode("not_cancellable")
    public static let upstreamTimeout = ErrorCode("upstream_timeout")
    public static let deadlineExceeded = ErrorCode("deadline_exceeded")
    /// An attempt may have reached the upstream unanswered and the last one failed: the run may be cancelled.
    public static let inDoubt = ErrorCode("in_doubt")
    public static let connectFailed = ErrorCode("connect_failed")
    public static let connectionClosed = ErrorCode("connection_closed")
    public static let tlsError = ErrorCode("tls_error")
    public static let upstreamUnavailable = ErrorCode("upstream_unavailable")
    public static let upstreamError = ErrorCode("upstream_error")
    public static let upstreamRejected = ErrorCode("upstream_rejected")
    public static let upstreamAuthFailed = ErrorCode("upstream_auth_failed")
    /// The upstream answered that the endpoint called does not exist (a wrong `base_url`), not the run.
    public static let endpointNotFound = ErrorCode("endpoint_not_found")
    /// C1's access token could not be obtained: its token endpoint was unreachable, failing or unreadable.
    public static let tokenUnavailable = ErrorCode("token_unavailable")
    public static let rateLimited = ErrorCode("rate_limited")
    public static let badResponse = ErrorCode("bad_response")
    public static let notReported = ErrorCode("not_reported")
    public static let transportError = ErrorCode("transport_error")
    /// The gateway process running the request died before this item was answered (a record's
    /// result, CONTRACT §5): it may or may not have been cancelled.
    public static let interrupted = ErrorCode("interrupted")
    /// A status read answered a word cancelgate does not know, or none (`provider_status` has it).
    public static let unknownStatus = ErrorCode("unknown_status")
    /// The job this item belongs to was stopped before the item was sent (CONTRACT §6); nothing was sent.
    public static let jobCancelled = ErrorCode("job_cancelled")

    /// Every code a gateway writes, in the order the OpenAPI document lists them.
    public static let allCases: [ErrorCode] = [
        .unroutable, .unknownUpstream, .invalidID, .forbidden, .notFound, .alreadyTerminal, .notCancellable, .upstreamTimeout,
        .deadlineExceeded, .inDoubt, .connectFailed, .connectionClosed, .tlsError, .upstreamUnavailable, .upstreamError,
        .upstreamRejected, .upstreamAuthFailed, .endpointNotFound, .tokenUnavailable, .rateLimited, .badResponse, .notReported,
        .transportError, .interrupted, .unknownStatus, .jobCancelled,
    ]

    public var description: String { rawValue }
}

/// `error` of a result: the stable code and a sentence for people.
public struct ItemError: Sendable, Codable, Equatable {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}
