internal import CCurl
internal import CCurlShim
import Foundation

// How a `CurlRequest` becomes easy-handle options; https://curl.se/libcurl/c/curl_easy_setopt.html
//
// No CURLOPT_PROXY on purpose: libcurl then honours `http_proxy`, `https_proxy`, `no_proxy` (and
// `ALL_PROXY`) from the environment (https://curl.se/libcurl/c/CURLOPT_PROXY.html, "Environment variables").
// TLS peer and host verification keep curl's defaults (on); nothing here may turn them off.
extension ActiveTransfer {
    func configure(_ request: CurlRequest, _ configuration: CurlClientConfiguration) throws(CurlError) {
        guard !request.url.utf8.contains(0) else {
            throw CurlError(kind: .invalidURL, call: "curl_easy_setopt(URL)", message: "URL contains a NUL byte")
        }
        try check(cg_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer)), "curl_easy_setopt(ERRORBUFFER)")
        try check(cg_easy_setopt_pointer(easy, CURLOPT_PRIVATE, userData), "curl_easy_setopt(PRIVATE)")
        // Never raise signals (SIGALRM for DNS timeouts) in a multi-threaded process.
        try check(cg_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "curl_easy_setopt(NOSIGNAL)")
        try check(cg_easy_setopt_string(easy, CURLOPT_URL, request.url), "curl_easy_setopt(URL)")
        // file://, ftp:// and the rest fail with CURLE_UNSUPPORTED_PROTOCOL (→ .invalidURL).
        try check(cg_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"), "curl_easy_setopt(PROTOCOLS_STR)")
        try check(cg_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0), "curl_easy_setopt(FOLLOWLOCATION)")
        // HTTP/2 when the upstream offers it in TLS ALPN, HTTP/1.1 otherwise.
        try check(cg_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS), "curl_easy_setopt(HTTP_VERSION)")
        try check(cg_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, request.timeout.curlMilliseconds), "curl_easy_setopt(TIMEOUT_MS)")
        try check(
            cg_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.curlMilliseconds),
            "curl_easy_setopt(CONNECTTIMEOUT_MS)")
        try check(cg_easy_setopt_string(easy, CURLOPT_USERAGENT, configuration.userAgent), "curl_easy_setopt(USERAGENT)")
        try setCallbacks()
        try setHeaders(request.headers)
        try setMethodAndBody(request)
    }

    private func setCallbacks() throws(CurlError) {
        try check(cg_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback), "curl_easy_setopt(WRITEFUNCTION)")
        try check(cg_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, userData), "curl_easy_setopt(WRITEDATA)")
        try check(cg_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback), "curl_easy_setopt(HEADERFUNCTION)")
        try check(cg_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, userData), "curl_easy_setopt(HEADERDATA)")
        // The debug function only runs with VERBOSE on; it replaces curl's stderr output entirely.
        try check(cg_easy_setopt_debug_callback(easy, CURLOPT_DEBUGFUNCTION, curlDebugCallback), "curl_easy_setopt(DEBUGFUNCTION)")
        try check(cg_easy_setopt_pointer(easy, CURLOPT_DEBUGDATA, userData), "curl_easy_setopt(DEBUGDATA)")
        try check(cg_easy_setopt_long(easy, CURLOPT_VERBOSE, 1), "curl_easy_setopt(VERBOSE)")
    }

    /// The request's fields, after an empty `Expect:` that stops curl from sending
    /// `Expect: 100-continue` (and waiting a round trip) for larger bodies.
    private func setHeaders(_ headers: [HTTPHeader]) throws(CurlError) {
        try appendHeaderLine(Array("Expect:\0".utf8))
        for header in headers {
            // Bytes, not Characters: "\r\n" is one Character, equal to neither "\r" nor "\n".
            let forbidden: (UInt8) -> Bool = { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") || $0 == 0 }
            let name = header.name.utf8, value = header.value.utf8
            guard !name.isEmpty, !name.contains(where: forbidden), !name.contains(UInt8(ascii: ":")), !value.contains(where: forbidden)
            else {
                throw CurlError(
                    kind: .other, call: "curl_slist_append",
                    message: "header field with an empty name, a colon in the name, CR, LF or NUL")
            }
            // "Name:" alone would remove curl's own field of that name; "Name;" sends it empty.
            var line: [UInt8] = []
            line.reserveCapacity(name.count + value.count + 3)
            line.append(contentsOf: name)
            if value.isEmpty {
                line.append(UInt8(ascii: ";"))
            } else {
                line.append(contentsOf: ": ".utf8)
                line.append(contentsOf: value)
            }
            line.append(0)
            try appendHeaderLine(line)
        }
        try check(cg_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList), "curl_easy_setopt(HTTPHEADER)")
    }

    /// `line`: the field's bytes, NUL-terminated.
    private func appendHeaderLine(_ line: [UInt8]) throws(CurlError) {
        // curl_slist_append copies the string and returns NULL on failure, leaving the list as it was.
        let list = line.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { curl_slist_append(headerList, $0.baseAddress) }
        }
        guard let list else {
            throw CurlError(kind: .other, call: "curl_slist_append", message: "curl_slist_append returned NULL")
        }
        headerList = list
    }

    private func setMethodAndBody(_ request: CurlRequest) throws(CurlError) {
        let method = request.method.uppercased()
        if method == "HEAD" {
            // Without NOBODY curl would wait for a body that never comes.
            try check(cg_easy_setopt_long(easy, CURLOPT_NOBODY, 1), "curl_easy_setopt(NOBODY)")
        } else if method != "GET" {
            try check(cg_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method), "curl_easy_setopt(CUSTOMREQUEST)")
        }
        // POST, PUT and PATCH always carry a body, so a missing one goes out as Content-Length: 0.
        let body = request.body ?? (["POST", "PUT", "PATCH"].contains(method) ? Data() : nil)
        guard let body else { return }
        // Size first, then COPYPOSTFIELDS copies exactly that many bytes, so curl owns the body
        // (https://curl.se/libcurl/c/CURLOPT_COPYPOSTFIELDS.html); it needs a non-NULL pointer
        // even for 0 bytes.
        try check(cg_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)), "curl_easy_setopt(POSTFIELDSIZE_LARGE)")
        let code = body.isEmpty
            ? withUnsafeBytes(of: UInt8(0)) { setPostFields($0) }
            : body.withUnsafeBytes { setPostFields($0) }
        try check(code, "curl_easy_setopt(COPYPOSTFIELDS)")
    }

    private func setPostFields(_ bytes: UnsafeRawBufferPointer) -> CURLcode {
        cg_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
    }
}
