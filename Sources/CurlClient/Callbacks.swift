internal import CCurl
internal import CCurlShim

// curl's data callbacks. They must be plain C functions (no captures), so each finds its
// `ActiveTransfer` through the user data pointer set with CURLOPT_WRITEDATA / CURLOPT_HEADERDATA;
// `DriverLoop.active` keeps that object alive until its handle is removed. Both run on the
// driver thread, inside curl_multi_perform.

/// CURLOPT_WRITEFUNCTION, https://curl.se/libcurl/c/CURLOPT_WRITEFUNCTION.html: returning anything
/// but `size * nmemb` makes curl abort the transfer with CURLE_WRITE_ERROR.
func curlWriteCallback(
    _ data: UnsafeMutablePointer<CChar>,
    _ size: Int,
    _ nmemb: Int,
    _ userData: UnsafeMutableRawPointer?
) -> Int {
    guard let userData else { return 0 }
    let transfer = Unmanaged<ActiveTransfer>.fromOpaque(userData).takeUnretainedValue()
    let count = size * nmemb
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: count)) ? count : 0
}

/// CURLOPT_HEADERFUNCTION, https://curl.se/libcurl/c/CURLOPT_HEADERFUNCTION.html: called once per
/// complete header line (status line and final empty line included), not NUL-terminated.
func curlHeaderCallback(
    _ data: UnsafeMutablePointer<CChar>,
    _ size: Int,
    _ nmemb: Int,
    _ userData: UnsafeMutableRawPointer?
) -> Int {
    guard let userData else { return 0 }
    let transfer = Unmanaged<ActiveTransfer>.fromOpaque(userData).takeUnretainedValue()
    let count = size * nmemb
    transfer.receiveHeader(UnsafeRawBufferPointer(start: data, count: count))
    return count
}

/// CURLOPT_DEBUGFUNCTION, https://curl.se/libcurl/c/CURLOPT_DEBUGFUNCTION.html: called with
/// CURLINFO_HEADER_OUT each time a request head goes out. libcurl silently sends a request again
/// when a reused connection turns out dead before any answer byte; that first send may already
/// have reached the upstream, so counting heads is how the gateway learns a call is in doubt.
func curlDebugCallback(
    _ handle: UnsafeMutableRawPointer,
    _ type: curl_infotype,
    _ data: UnsafeMutablePointer<CChar>,
    _ size: Int,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    // CURLINFO_HEADER_OUT (2): the constant does not import into Swift, its enum's raw value does.
    guard type.rawValue == 2, let userData else { return 0 }
    Unmanaged<ActiveTransfer>.fromOpaque(userData).takeUnretainedValue().requestHeadSent()
    return 0
}
