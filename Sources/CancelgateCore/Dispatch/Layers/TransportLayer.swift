public import CurlClient
internal import Foundation

/// The innermost call: the upstream's absolute URL, content headers, and one transfer whose
/// `timeout_ms` starts now, when it is sent, cut short by the request's deadline (`Deadlines`).
/// Marks the answer in doubt by the rules of `InDoubt`.
enum TransportLayer {
    static func call(upstream: UpstreamConfig, transport: any HTTPTransport, clock: UpstreamClock) -> UpstreamCall {
        let base = upstream.baseURL
        let configured = upstream.timeout
        return { request, context in
            guard let timeout = Deadlines.attemptTimeout(configured: configured, now: clock.now, deadline: context.deadline) else {
                return .notSent(.requestDeadline)
            }
            let result: CallResult
            do throws(CurlError) {
                result = .success(try await transport.execute(curlRequest(request, base: base, timeout: timeout)))
            } catch {
                // A transfer cancelled before anything went out was never an attempt.
                if error.kind == .cancelled, !error.requestSent { return .notSent(.cancelled) }
                result = .failure(.transport(error))
            }
            let sends = switch result {
            case .success(let response): response.timesSent
            case .failure(.transport(let error)): error.timesSent
            case .failure: 0
            }
            return UpstreamReply(result: result, attempts: max(1, sends), inDoubt: InDoubt.attempt(result))
        }
    }

    static func curlRequest(_ request: UpstreamRequest, base: String, timeout: Duration) -> CurlRequest {
        var headers = [HTTPHeader("Accept", "application/json")]
        if let contentType = request.contentType { headers.append(HTTPHeader("Content-Type", contentType)) }
        headers += request.headers
        return CurlRequest(method: request.method, url: base + request.path, headers: headers, body: request.body, timeout: timeout)
    }
}

/// The transport under every upstream call: anything that executes a `CurlRequest`.
/// `CurlClient` in production; tests may put a stub here.
public protocol HTTPTransport: Sendable {
    func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse
}

extension CurlClient: HTTPTransport {}
