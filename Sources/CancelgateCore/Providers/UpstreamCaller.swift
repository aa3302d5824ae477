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

/// "Send this request, get an answer": the seam every layer wraps (auth, retry, metrics),
/// in the manner of lura's proxy functions. Tests replace the innermost one with a stub.
public typealias UpstreamSend = @Sendable (_ request: UpstreamRequest, _ timeout: Duration) async -> CallResult

/// What an adapter uses to talk to its upstream for one gateway request.
public struct UpstreamCaller: Sendable {
    public let upstream: UpstreamConfig
    public let reason: String
    public let logger: Logger
    public let requestID: String
    private let send: UpstreamSend
    private let deadline: ContinuousClock.Instant

    public init(
        upstream: UpstreamConfig, reason: String, requestID: String, deadline: ContinuousClock.Instant, logger: Logger,
        send: @escaping UpstreamSend
    ) {
        self.upstream = upstream
        self.requestID = requestID
        self.reason = reason
        self.deadline = deadline
        self.logger = logger
        self.send = send
    }

    /// Sends `request` with the upstream's `timeout_ms`, shortened so the call cannot outlive the
    /// gateway request's deadline.
    public func call(_ request: UpstreamRequest) async -> CallResult {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .milliseconds(1) else {
            return .failure(CurlError(kind: .timeout, code: 0, call: "deadline", requestSent: false, message: "request deadline reached"))
        }
        var request = request
        request.headers.append(HTTPHeader("X-Request-ID", requestID))
        let started = ContinuousClock.now
        let result = await send(request, min(upstream.timeout, remaining))
        logger.debug(
            "upstream call finished",
            metadata: [
                "upstream.name": "\(upstream.name)", "upstream.status": "\(result.statusLabel)",
                "upstream.duration_ms": "\((ContinuousClock.now - started).milliseconds)",
            ])
        return result
    }
}

extension Result where Success == CurlResponse, Failure == CurlError {
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
}
