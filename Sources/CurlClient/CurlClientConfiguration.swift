/// Settings shared by every transfer of one ``CurlClient``.
public struct CurlClientConfiguration: Sendable {
    /// `CURLMOPT_MAX_HOST_CONNECTIONS`: further transfers to that host wait in curl's queue.
    public var maxConnectionsPerHost: Int = 64
    /// `CURLMOPT_MAX_TOTAL_CONNECTIONS`.
    public var maxTotalConnections: Int = 256
    /// `CURLOPT_CONNECTTIMEOUT_MS`, per transfer; the request's own timeout still bounds the whole.
    public var connectTimeout: Duration = .seconds(5)
    /// A response body larger than this fails with ``CurlError/Kind/responseTooLarge``.
    public var maxResponseBytes: Int = 4 << 20
    /// `User-Agent` unless the request sets its own.
    public var userAgent: String = "cancelgate"
    /// Longest sleep of the driver in `curl_multi_poll`; curl shortens it to its own next timer.
    /// A command queued while the driver sleeps wakes it; tests lengthen this so that a command
    /// that did not would hang.
    package var pollTimeout: Duration = .seconds(1)

    public init() {}

    public init(
        maxConnectionsPerHost: Int = 64,
        maxTotalConnections: Int = 256,
        connectTimeout: Duration = .seconds(5),
        maxResponseBytes: Int = 4 << 20,
        userAgent: String = "cancelgate"
    ) {
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.maxTotalConnections = maxTotalConnections
        self.connectTimeout = connectTimeout
        self.maxResponseBytes = maxResponseBytes
        self.userAgent = userAgent
    }
}
