internal import CCurl

// The one choke point from curl's return codes to `CurlError`, as NIO's `syscall(where:)` is for
// errno: every CURLcode / CURLMcode in this module passes through `check`, naming its call.

func check(_ code: CURLcode, _ call: StaticString) throws(CurlError) {
    guard code == CURLE_OK else { throw CurlError(code: code, call: "\(call)") }
}

func check(_ code: CURLMcode, _ call: StaticString) throws(CurlError) {
    guard code == CURLM_OK else { throw CurlError(code: code, call: "\(call)") }
}

extension CurlError {
    /// A failed easy call or transfer. `errorBuffer` is `CURLOPT_ERRORBUFFER`'s text when curl wrote one.
    init(code: CURLcode, call: String, requestSent: Bool = false, errorBuffer: String = "", tooLarge: Bool = false, timesSent: Int? = nil) {
        let kind: Kind = (code == CURLE_WRITE_ERROR && tooLarge) ? .responseTooLarge : Kind(code)
        let message = errorBuffer.isEmpty ? String(cString: curl_easy_strerror(code)) : errorBuffer
        self.init(kind: kind, code: Int32(bitPattern: code.rawValue), call: call, requestSent: requestSent, message: message, timesSent: timesSent)
    }

    /// A failed multi call: the multi handle itself is in trouble, not one transfer.
    init(code: CURLMcode, call: String) {
        let message = String(cString: curl_multi_strerror(code))
        self.init(kind: .other, code: code.rawValue, call: call, requestSent: false, message: message)
    }
}

extension CurlError.Kind {
    /// CURLcode → kind; https://curl.se/libcurl/c/libcurl-errors.html
    /// `CURLE_WRITE_ERROR` is `.responseTooLarge` only when our write callback refused the bytes,
    /// which `CurlError.init(code:call:...)` decides; here it is `.other`.
    init(_ code: CURLcode) {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            self = .timeout
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            self = .connectFailed
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            self = .connectionClosed
        case CURLE_SSL_CONNECT_ERROR, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_CERTPROBLEM,
            CURLE_SSL_CIPHER, CURLE_PEER_FAILED_VERIFICATION, CURLE_USE_SSL_FAILED, CURLE_SSL_ENGINE_INITFAILED,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT:
            self = .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            self = .invalidURL
        default:
            self = .other
        }
    }
}
