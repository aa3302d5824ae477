internal import CurlClient
internal import Foundation
internal import Logging

/// One request an adapter wants sent, relative to the upstream's base URL.
struct UpstreamRequest: Sendable {
    var method: String
    /// Already percent-encoded.
    var path: String
    var body: Data?
    var contentType: String?
    /// Extra headers: `X-Request-ID` and credentials are added by their layers.
    var headers: [HTTPHeader] = []

    init(method: String = "POST", path: String, json body: Data?) {
        self.method = method
        self.path = path
        self.body = body
        self.contentType = body == nil ? nil : "application/json"
    }
}

/// What an upstream call carries besides its request: the gateway request's deadline, logger and
/// ID, and which attempt this is (set by `RetryLayer`).
struct CallContext: Sendable {
    var deadline: ContinuousClock.Instant
    var logger: Logger
    var requestID: String
    /// 1 for the first attempt.
    var attempt: Int
    /// A job's rate over all its calls (`RateLimitLayer`), besides the upstream's own.
    var pacer: RateGate?

    init(deadline: ContinuousClock.Instant, logger: Logger, requestID: String, attempt: Int = 1, pacer: RateGate? = nil) {
        self.deadline = deadline
        self.logger = logger
        self.requestID = requestID
        self.attempt = attempt
        self.pacer = pacer
    }
}

extension CallContext {
    /// The context for `call`: a cancel sent again after a read goes on counting attempts where
    /// the first send stopped, so `retry.max_attempts` bounds them all.
    func sending(_ call: UnitCall) -> CallContext {
        guard call.resent else { return self }
        var copy = self
        copy.attempt = call.priorAttempts + 1
        return copy
    }
}

/// Why an attempt brought no HTTP answer from the upstream: Core's own closed set, so no layer
/// has to make up a `CurlError` or an HTTP status to say what happened.
enum AttemptFailure: Error, Sendable {
    /// The transfer itself failed (libcurl): timeout, refused or closed connection, TLS…
    case transport(CurlError)
    /// Too little of the request's deadline was left to send the attempt.
    case requestDeadline
    /// The request was cancelled (its deadline fired or its caller went away) before the attempt
    /// was sent: while it waited for a slot, a rate-limit token or a C1 token.
    case cancelled
    /// The upstream's rate limit (its bucket, or a 429's `Retry-After`) would let the attempt go
    /// only after the request's deadline: it was not sent.
    case rateLimitedUntilDeadline
    /// C1's access token could not be obtained (endpoint unreachable, failing or unreadable).
    case tokenUnavailable(String)
    /// C1's credentials were refused by its token endpoint, or the secret cannot sign an
    /// assertion: the sentence says which.
    case tokenRefused(String)

    /// Whether some of the request went out to the upstream.
    var requestSent: Bool {
        if case .transport(let error) = self { return error.requestSent }
        return false
    }

    /// A bounded word for metrics and logs.
    var label: String {
        switch self {
        case .transport(let error): error.kind.rawValue
        case .requestDeadline: "deadline"
        case .cancelled: "cancelled"
        case .rateLimitedUntilDeadline: "rate_limited"
        case .tokenUnavailable: "token_unavailable"
        case .tokenRefused: "token_refused"
        }
    }
}

/// The result of one HTTP exchange with an upstream: an answer with any status, or why none came.
typealias CallResult = Result<CurlResponse, AttemptFailure>

/// What an upstream call answered: the last result after every attempt, how many sends it took,
/// and whether an earlier send may have acted upstream unanswered (`InDoubt`).
struct UpstreamReply: Sendable {
    var result: CallResult
    /// Times the request went out; 0 when it never did.
    var attempts: Int
    var inDoubt: Bool

    init(result: CallResult, attempts: Int, inDoubt: Bool = false) {
        self.result = result
        self.attempts = attempts
        self.inDoubt = inDoubt
    }

    /// An answer that never reached the upstream.
    static func notSent(_ failure: AttemptFailure) -> UpstreamReply {
        UpstreamReply(result: .failure(failure), attempts: 0)
    }

    /// The HTTP status, or the failure's word: a bounded label.
    var statusLabel: String {
        switch result {
        case .success(let response): String(response.status)
        case .failure(let failure): failure.label
        }
    }
}

/// "Send this request, get an answer", in the manner of lura's proxy functions: the transport is
/// one, and every layer of `Pipeline` turns one into another.
typealias UpstreamCall = @Sendable (_ request: UpstreamRequest, _ context: CallContext) async -> UpstreamReply

/// One behaviour around the next call (retry, limits, metrics, auth…): `UpstreamCall` → `UpstreamCall`.
protocol UpstreamMiddleware: Sendable {
    func wrap(_ next: @escaping UpstreamCall) -> UpstreamCall
}

extension Duration {
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
