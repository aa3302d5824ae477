/// Why a transfer produced no response. Closed set; `kind` is the stable word for logs and metrics.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case timeout
        case connectFailed
        case connectionClosed
        case tls
        case invalidURL
        case responseTooLarge
        case cancelled
        case shutdown
        case other
    }

    public let kind: Kind
    /// The `CURLcode` / `CURLMcode` value, 0 when the failure did not come from curl.
    public let code: Int32
    /// The curl call that failed, e.g. `curl_easy_setopt(URL)`, or `transfer`.
    public let call: String
    /// Some request bytes went out before the failure (`CURLINFO_REQUEST_SIZE` > 0): the upstream
    /// may have acted on the request, so the outcome is in doubt.
    public let requestSent: Bool
    /// curl's error buffer or `curl_easy_strerror`; never the URL's query or a header value.
    public let message: String
    /// How many times the request went out. More than 1 when libcurl resent it on a fresh
    /// connection after a reused one died: the earlier send may have reached the upstream.
    public let timesSent: Int

    init(kind: Kind, code: Int32 = 0, call: String, requestSent: Bool = false, message: String, timesSent: Int? = nil) {
        self.kind = kind
        self.code = code
        self.call = call
        self.requestSent = requestSent
        self.timesSent = timesSent ?? (requestSent ? 1 : 0)
        self.message = message
    }

    public var description: String {
        "CurlError(\(kind.rawValue), \(call), code \(code), requestSent: \(requestSent)): \(message)"
    }
}

extension CurlError {
    static func cancelled(requestSent: Bool) -> CurlError {
        CurlError(kind: .cancelled, call: "transfer", requestSent: requestSent, message: "the awaiting task was cancelled")
    }

    static func shutdown(requestSent: Bool) -> CurlError {
        CurlError(kind: .shutdown, call: "transfer", requestSent: requestSent, message: "the client was shut down")
    }
}
