/// What happened to one requested item (CONTRACT §3).
public enum Outcome: String, Sendable, Codable, CaseIterable {
    case cancelled
    case cancelRequested = "cancel_requested"
    case alreadyTerminal = "already_terminal"
    case notFound = "not_found"
    case forbidden
    case invalid
    case unroutable
    case failed
    /// Dry runs only: routable, valid, and would be sent.
    case planned

    /// Counted in `summary.succeeded`.
    public var isSuccess: Bool { self == .cancelled || self == .cancelRequested }

    /// Counted in `summary.failed`: everything but success, `already_terminal` and `planned`.
    public var isFailure: Bool { !isSuccess && self != .alreadyTerminal && self != .planned }
}

/// Stable, machine-readable reasons. Metric labels and `error.code` come from this fixed set,
/// never from upstream text.
public enum ErrorCode: String, Sendable, Codable, CaseIterable {
    case unroutable = "unroutable"
    case unknownUpstream = "unknown_upstream"
    case invalidID = "invalid_id"
    case forbidden = "forbidden"
    case notFound = "not_found"
    case alreadyTerminal = "already_terminal"
    case notCancellable = "not_cancellable"
    case upstreamTimeout = "upstream_timeout"
    case deadlineExceeded = "deadline_exceeded"
    /// An attempt may have reached the upstream unanswered and the last one failed: the run may be cancelled.
    case inDoubt = "in_doubt"
    case connectFailed = "connect_failed"
    case connectionClosed = "connection_closed"
    case tlsError = "tls_error"
    case upstreamUnavailable = "upstream_unavailable"
    case upstreamError = "upstream_error"
    case upstreamRejected = "upstream_rejected"
    case upstreamAuthFailed = "upstream_auth_failed"
    /// The upstream answered that the endpoint called does not exist (a wrong `base_url`), not the run.
    case endpointNotFound = "endpoint_not_found"
    /// C1's access token could not be obtained: its token endpoint was unreachable, failing or unreadable.
    case tokenUnavailable = "token_unavailable"
    case rateLimited = "rate_limited"
    case badResponse = "bad_response"
    case notReported = "not_reported"
    case transportError = "transport_error"
}

public struct ItemError: Sendable, Codable, Equatable {
    public var code: ErrorCode
    public var message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }
}
