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
