internal import CurlClient

/// Answers every provider treats alike. Each adapter's table handles its own cases first and
/// hands the rest here.
///
/// | answer                        | outcome | retryable | error.code            |
/// |-------------------------------|---------|-----------|-----------------------|
/// | timeout                       | failed  | yes       | upstream_timeout      |
/// | connection refused / DNS      | failed  | yes       | connect_failed        |
/// | connection closed mid-answer  | failed  | yes       | connection_closed     |
/// | TLS failure                   | failed  | no        | tls_error             |
/// | 401 (and Skyvern's 403)       | failed  | no        | upstream_auth_failed  |
/// | 403                           | forbidden | no      | forbidden             |
/// | 404                           | not_found | no      | not_found             |
/// | 429                           | failed  | yes       | rate_limited          |
/// | 502, 503, 504                 | failed  | yes       | upstream_unavailable  |
/// | other 5xx                     | failed  | yes       | upstream_error        |
/// | other 4xx                     | failed  | no        | upstream_rejected     |
/// | 2xx body we cannot read       | failed  | no        | bad_response          |
/// | any failure after an attempt that may have reached the upstream unanswered (a timeout or a
/// | closed connection after sending, or libcurl resending on a fresh connection) | failed | yes | in_doubt |
enum CommonAnswers {
    static func transportFailure(_ error: CurlError, provider: String) -> Resolution {
        switch error.kind {
        case .timeout:
            if error.call == RetryPolicy.deadlineCall {
                return .failure(.deadlineExceeded, "The request's deadline passed before \(provider) was called.", retryable: true)
            }
            return .failure(.upstreamTimeout, "\(provider) did not answer in time.", retryable: true)
        case .connectFailed:
            return .failure(.connectFailed, "Could not connect to \(provider).", retryable: true)
        case .connectionClosed:
            return .failure(.connectionClosed, "\(provider) closed the connection without a complete answer.", retryable: true)
        case .tls:
            return .failure(.tlsError, "The TLS handshake with \(provider) failed.", retryable: false)
        case .cancelled:
            return .failure(.deadlineExceeded, "The request's deadline passed while \(provider) was being called.", retryable: true)
        case .responseTooLarge:
            return .failure(.badResponse, "\(provider) sent an answer larger than the gateway accepts.", retryable: false)
        case .invalidURL, .shutdown, .other:
            return .failure(.transportError, "The call to \(provider) failed: \(error.kind.rawValue).", retryable: error.kind == .shutdown)
        }
    }

    static func status(_ status: Int, provider: String) -> Resolution {
        switch status {
        case 401:
            return .failure(.upstreamAuthFailed, "\(provider) refused the gateway's credentials.", status: status, retryable: false)
        case 403:
            return .refused(.forbidden, .forbidden, "\(provider) refused access to this run.", status: status)
        case 404:
            return .refused(.notFound, .notFound, "\(provider) does not know this ID.", status: status)
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

    static func unreadable(status: Int, provider: String) -> Resolution {
        .failure(.badResponse, "\(provider) answered HTTP \(status) with a body the gateway cannot read.", status: status, retryable: false)
    }

    /// The same resolution for every ID of a chunk.
    static func all(_ chunk: [String], _ resolution: Resolution) -> [String: Resolution] {
        Dictionary(chunk.map { ($0, resolution) }, uniquingKeysWith: { first, _ in first })
    }
}
