internal import CCurl
internal import CCurlShim
import Foundation

/// A transfer the driver has started: its easy handle and what curl has delivered so far.
/// Lives only on the driver thread; curl's callbacks reach it through `Unmanaged` user data
/// while `DriverLoop.active` holds the strong reference.
final class ActiveTransfer {
    let transfer: Transfer
    let easy: UnsafeMutableRawPointer
    /// `CURLOPT_ERRORBUFFER`: curl writes a NUL-terminated message here on failure.
    let errorBuffer: UnsafeMutablePointer<CChar>
    /// `CURLOPT_HTTPHEADER` list; curl reads it during the transfer, so it lives as long as the handle.
    var headerList: UnsafeMutablePointer<curl_slist>? = nil

    private let maxResponseBytes: Int
    private var body = Data()
    private var headers: [HTTPHeader] = []
    private var bodyStarted = false
    /// Set when the write callback refused bytes over `maxResponseBytes`: curl then ends the
    /// transfer with `CURLE_WRITE_ERROR`, which means `.responseTooLarge`.
    private(set) var exceededMaxResponseBytes = false
    /// Request heads sent: more than 1 when curl resent the request on a fresh connection.
    private(set) var headsSent = 0

    /// `easy` is a new or reset handle (`DriverLoop`'s); `configure` then sets it up. The handle
    /// stays the driver's: it resets or cleans it up before this object goes, since the handle
    /// points at `headerList` and `errorBuffer`.
    init(transfer: Transfer, easy: UnsafeMutableRawPointer, configuration: CurlClientConfiguration) {
        self.transfer = transfer
        self.easy = easy
        self.maxResponseBytes = configuration.maxResponseBytes
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// The object `CURLOPT_PRIVATE` points at (https://curl.se/libcurl/c/CURLINFO_PRIVATE.html).
    static func from(easy: UnsafeMutableRawPointer) -> ActiveTransfer? {
        var pointer: UnsafeMutableRawPointer? = nil
        guard (try? check(cg_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &pointer), "curl_easy_getinfo(PRIVATE)")) != nil,
            let pointer
        else { return nil }
        return Unmanaged<ActiveTransfer>.fromOpaque(pointer).takeUnretainedValue()
    }

    var userData: UnsafeMutableRawPointer {
        Unmanaged.passUnretained(self).toOpaque()
    }

    /// `CURLINFO_REQUEST_SIZE` > 0: some request bytes went out
    /// (https://curl.se/libcurl/c/CURLINFO_REQUEST_SIZE.html). Unknown counts as sent: in doubt.
    var requestSent: Bool {
        var size = 0
        guard (try? check(cg_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &size), "curl_easy_getinfo(REQUEST_SIZE)")) != nil
        else { return true }
        return size > 0
    }

    /// What the transfer produced, once curl reports it done with `code`.
    func result(_ code: CURLcode) -> Result<CurlResponse, CurlError> {
        guard code == CURLE_OK else {
            return .failure(
                CurlError(
                    code: code, call: "transfer", requestSent: requestSent || headsSent > 0, errorBuffer: errorMessage,
                    tooLarge: exceededMaxResponseBytes, timesSent: headsSent))
        }
        var status = 0
        do throws(CurlError) {
            try check(cg_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status), "curl_easy_getinfo(RESPONSE_CODE)")
        } catch {
            return .failure(CurlError(kind: error.kind, code: error.code, call: error.call, requestSent: true, message: error.message))
        }
        return .success(CurlResponse(status: status, headers: headers, body: body, timesSent: max(1, headsSent)))
    }

    /// The error buffer's text, unless it quotes the URL (whose query may carry secrets).
    private var errorMessage: String {
        let message = String(cString: errorBuffer).trimmingCharacters(in: .whitespacesAndNewlines)
        let url = transfer.request.url
        guard !url.isEmpty, !message.contains(url) else { return "" }
        if let query = url.split(separator: "?", maxSplits: 1).dropFirst().first, message.contains(query) { return "" }
        return message
    }

    // MARK: callbacks (driver thread, inside curl_multi_perform)

    /// Appends body bytes; `false` refuses them because the body would exceed the limit.
    func requestHeadSent() { headsSent += 1 }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bodyStarted = true
        guard body.count + bytes.count <= maxResponseBytes else {
            exceededMaxResponseBytes = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// One complete header line as curl delivers it (https://curl.se/libcurl/c/CURLOPT_HEADERFUNCTION.html):
    /// a status line starts a new head (so 1xx heads are dropped), lines after the body are trailers.
    /// Read as bytes: names and values are cut at the first colon and trimmed of spaces and tabs
    /// (RFC 9110 §5.5's optional whitespace), then decoded as UTF-8.
    func receiveHeader(_ bytes: UnsafeRawBufferPointer) {
        guard !bodyStarted else { return }
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\r") || bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[0..<end])
        guard let first = line.first else { return }
        if line.starts(with: "HTTP/".utf8) {
            headers.removeAll()
        } else if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t"), !headers.isEmpty {
            // obs-fold continuation (RFC 9112 §5.2)
            headers[headers.count - 1].value += " " + Self.text(line, from: 0, to: line.count)
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            headers.append(HTTPHeader(String(decoding: line[..<colon], as: UTF8.self), Self.text(line, from: colon + 1, to: line.count)))
        }
    }

    /// `line[from..<to]` without leading and trailing spaces and tabs, as text.
    private static func text(_ line: UnsafeRawBufferPointer, from: Int, to: Int) -> String {
        let isBlank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        var start = from, end = to
        while start < end, isBlank(line[start]) { start += 1 }
        while end > start, isBlank(line[end - 1]) { end -= 1 }
        return String(decoding: line[start..<end], as: UTF8.self)
    }
}
