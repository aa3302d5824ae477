public import CurlClient
public import Foundation
public import Logging

/// The result of one HTTP exchange with an upstream: an answer with any status, or a transport failure.
public typealias CallResult = Result<CurlResponse, CurlError>

/// One request an adapter wants sent, relative to the upstream's base URL.
public struct UpstreamRequest: Sendable {
    public var method: String
    /// Already percent-encoded.
    public var path: String
    public var body: Data?
    public var contentType: String?
    /// Extra headers, e.g. `X-Request-ID`; auth headers are added by `UpstreamAuthLayer`.
    public var headers: [HTTPHeader] = []

    public init(method: String = "POST", path: String, json body: Data?) {
        self.method = method
        self.path = path
        self.body = body
        self.contentType = body == nil ? nil : "application/json"
    }

    public init(method: String, path: String, body: Data?, contentType: String?) {
        self.method = method
        self.path = path
        self.body = body
        self.contentType = contentType
    }
}

/// "Send this request, get an answer": one HTTP attempt, the seam the layers wrap (auth, retry,
/// metrics) in the manner of lura's proxy functions. Tests replace the innermost one with a stub.
public typealias UpstreamSend = @Sendable (_ request: UpstreamRequest, _ timeout: Duration) async -> CallResult

/// One upstream call as an adapter sees it: the last answer after every attempt `RetryLayer` made.
public struct UpstreamReply: Sendable {
    public var result: CallResult
    /// HTTP attempts made; 0 when the request's deadline left no time for one.
    public var attempts: Int
    /// An attempt whose answer was lost may have reached the upstream (a timeout or a closed
    /// connection after the request went out): the upstream may have acted on it, so an answer
    /// like "already cancelled" on a later attempt may be this request's own doing.
    public var inDoubt: Bool

    public init(result: CallResult, attempts: Int, inDoubt: Bool = false) {
        self.result = result
        self.attempts = attempts
        self.inDoubt = inDoubt
    }
}

/// A whole upstream call, all attempts, bounded by the gateway request's deadline (`RetryLayer`).
public typealias UpstreamExchange =
    @Sendable (_ request: UpstreamRequest, _ deadline: ContinuousClock.Instant, _ logger: Logger) async -> UpstreamReply

/// What an adapter uses to talk to its upstream for one gateway request.
public struct UpstreamCaller: Sendable {
    public let upstream: UpstreamConfig
    public let reason: String
    public let logger: Logger
    public let requestID: String
    private let exchange: UpstreamExchange
    private let deadline: ContinuousClock.Instant

    public init(
        upstream: UpstreamConfig, reason: String, requestID: String, deadline: ContinuousClock.Instant, logger: Logger,
        exchange: @escaping UpstreamExchange
    ) {
        self.upstream = upstream
        self.requestID = requestID
        self.reason = reason
        self.deadline = deadline
        self.logger = logger
        self.exchange = exchange
    }

    /// Sends `request`, retried as the upstream's `retry` allows, every attempt with the
    /// upstream's `timeout_ms` shortened so it cannot outlive the gateway request's deadline.
    public func call(_ request: UpstreamRequest) async -> UpstreamReply {
        var request = request
        request.headers.append(HTTPHeader("X-Request-ID", requestID))
        let started = ContinuousClock.now
        let reply = await exchange(request, deadline, logger)
        logger.debug(
            "upstream call finished",
            metadata: [
                "upstream.name": "\(upstream.name)", "upstream.status": "\(reply.result.statusLabel)",
                "upstream.duration_ms": "\((ContinuousClock.now - started).milliseconds)",
                "retry.attempts": "\(reply.attempts)", "upstream.in_doubt": "\(reply.inDoubt)",
            ])
        return reply
    }
}

extension Result where Success == CurlResponse, Failure == CurlError {
    /// Times the request went out in this exchange (libcurl may resend once on a fresh connection).
    public var timesSent: Int {
        switch self {
        case .success(let response): response.timesSent
        case .failure(let error): error.timesSent
        }
    }

    /// The HTTP status, or the transport failure's kind: a bounded label.
    public var statusLabel: String {
        switch self {
        case .success(let response): String(response.status)
        case .failure(let error): error.kind.rawValue
        }
    }
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
