internal import CancelgateWire
internal import CurlClient
internal import Foundation

/// Answers every provider treats alike. Each adapter's table handles its own cases first and
/// hands the rest here.
///
/// | answer                                                   | outcome   | retryable | error.code           |
/// |----------------------------------------------------------|-----------|-----------|----------------------|
/// | timeout                                                  | failed    | yes       | upstream_timeout     |
/// | connection refused / DNS                                 | failed    | yes       | connect_failed       |
/// | connection closed mid-answer                             | failed    | yes       | connection_closed    |
/// | TLS failure                                              | failed    | no        | tls_error            |
/// | request deadline before or during the call               | failed    | yes       | deadline_exceeded    |
/// | rate limit would only allow the call after the deadline  | failed    | yes       | rate_limited (no http_status) |
/// | C1 token endpoint unreachable, failing or unreadable     | failed    | yes       | token_unavailable (no http_status) |
/// | C1 token endpoint refused the credentials                | failed    | no        | upstream_auth_failed (no http_status) |
/// | 401 (and Skyvern's 403)                                  | failed    | no        | upstream_auth_failed |
/// | 403                                                      | forbidden | no        | forbidden            |
/// | 404 for a whole batch call, or FastAPI's route miss `{"detail":"Not Found"}` | failed | no | endpoint_not_found |
/// | other 404                                                | not_found | no        | not_found            |
/// | 429                                                      | failed    | yes       | rate_limited         |
/// | 502, 503, 504                                            | failed    | yes       | upstream_unavailable |
/// | other 5xx                                                | failed    | yes       | upstream_error       |
/// | other 4xx                                                | failed    | no        | upstream_rejected    |
/// | 2xx body we cannot read                                  | failed    | no        | bad_response         |
/// | any failure after an attempt in doubt (`InDoubt`)        | failed    | yes       | in_doubt             |
enum CommonAnswers {
    static func failure(_ failure: AttemptFailure, provider: String) -> Resolution {
        switch failure {
        case .transport(let error): transportFailure(error, provider: provider)
        case .requestDeadline, .cancelled:
            .failure(.deadlineExceeded, "The request's deadline passed before \(provider) was called; nothing was sent.", retryable: true)
        case .rateLimitedUntilDeadline:
            .failure(
                .rateLimited, "The rate limit for \(provider) would only let the call go after the request's deadline; nothing was sent.",
                retryable: true)
        case .tokenUnavailable(let detail):
            .failure(.tokenUnavailable, "\(detail) Nothing was sent to \(provider).", retryable: true)
        case .tokenRefused(let detail):
            .failure(.upstreamAuthFailed, "\(detail) Nothing was sent to \(provider).", retryable: false)
        }
    }

    private static func transportFailure(_ error: CurlError, provider: String) -> Resolution {
        switch error.kind {
        case .timeout:
            .failure(.upstreamTimeout, "\(provider) did not answer in time.", retryable: true)
        case .connectFailed:
            .failure(.connectFailed, "Could not connect to \(provider).", retryable: true)
        case .connectionClosed:
            .failure(.connectionClosed, "\(provider) closed the connection without a complete answer.", retryable: true)
        case .tls:
            .failure(.tlsError, "The TLS handshake with \(provider) failed.", retryable: false)
        case .cancelled:
            .failure(.deadlineExceeded, "The request's deadline passed while \(provider) was being called.", retryable: true)
        case .responseTooLarge:
            .failure(.badResponse, "\(provider) sent an answer larger than the gateway accepts.", retryable: false)
        case .invalidURL, .shutdown, .other:
            .failure(.transportError, "The call to \(provider) failed: \(error.kind.rawValue).", retryable: error.kind == .shutdown)
        }
    }

    /// A status the adapter's own table does not cover, for a call about one run.
    static func status(_ response: CurlResponse, provider: String, site: CallSite) -> Resolution {
        let status = response.status
        switch status {
        case 401:
            return .failure(.upstreamAuthFailed, "\(provider) refused the gateway's credentials.", status: status, retryable: false)
        case 403:
            return .refused(.forbidden, .forbidden, "\(provider) refused access to this run.", status: status)
        case 404:
            return isRouteMiss(response.body) ? endpointNotFound(site) : .refused(.notFound, .notFound, "\(provider) does not know this ID.", status: status)
        case 429:
            return .failure(.rateLimited, "\(provider) is rate limiting the gateway.", status: status, retryable: true)
        case 502, 503, 504:
            return .failure(.upstreamUnavailable, "\(provider) is unavailable (HTTP \(status)).", status: status, retryable: true)
        case 500...599:
            return .failure(.upstreamError, "\(provider) failed with HTTP \(status).", status: status, retryable: true)
        default:
            return .failure(.upstreamRejected, "\(provider) rejected the call with HTTP \(status).", status: status, retryable: false)
        }
    }

    /// A status for a call about a whole batch: a 404 there cannot be about the runs.
    static func batchStatus(_ response: CurlResponse, provider: String, site: CallSite) -> Resolution {
        response.status == 404 ? endpointNotFound(site) : status(response, provider: provider, site: site)
    }

    /// FastAPI's answer when no route matches the path: the endpoint is missing, not the run.
    static func isRouteMiss(_ body: Data) -> Bool {
        Wire.detail(body) == "Not Found"
    }

    static func endpointNotFound(_ site: CallSite) -> Resolution {
        let path = site.path.count > 200 ? String(site.path.prefix(200)) + "…" : site.path
        return .failure(
            .endpointNotFound,
            "Upstream \(site.upstream) has no endpoint at \(path) (HTTP 404): check its base_url. Nothing was cancelled.",
            status: 404, retryable: false)
    }

    static func unreadable(status: Int, provider: String) -> Resolution {
        .failure(.badResponse, "\(provider) answered HTTP \(status) with a body the gateway cannot read.", status: status, retryable: false)
    }

    /// The same resolution for every ID of a chunk.
    static func all(_ chunk: [String], _ resolution: Resolution) -> [String: Resolution] {
        Dictionary(chunk.map { ($0, resolution) }, uniquingKeysWith: { first, _ in first })
    }

    /// A status read's answer: a 200 is the adapter's to read; `special` are the adapter's own
    /// non-200 readings; anything else reads as the cancel table above reads it (404 `not_found`,
    /// 403 `forbidden`, the rest `unknown` with the same code and retryability).
    static func statusRead(
        _ reply: UpstreamReply, provider: String, site: CallSite, special: [Int: Resolution] = [:], read: (Data) -> RunStatus?
    ) -> RunStatus {
        let response: CurlResponse
        switch reply.result {
        case .failure(let failure): return RunStatus(failure: self.failure(failure, provider: provider)).with(attempts: reply.attempts)
        case .success(let answer): response = answer
        }
        if response.status == 200 {
            let status = read(response.body) ?? RunStatus(failure: unreadable(status: 200, provider: provider))
            return status.with(attempts: reply.attempts)
        }
        let resolution = special[response.status] ?? status(response, provider: provider, site: site)
        return RunStatus(failure: resolution.with(attempts: reply.attempts)).with(attempts: reply.attempts)
    }
}
