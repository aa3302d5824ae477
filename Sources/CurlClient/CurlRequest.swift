public import Foundation

/// One HTTP header field, name as written (case is kept; lookups are case-insensitive).
public struct HTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// What to send. Values only: the client turns it into an easy handle on its driver thread.
public struct CurlRequest: Sendable {
    /// "GET", "POST", ... sent as written.
    public var method: String
    public var url: String
    public var headers: [HTTPHeader]
    /// `nil` = no body. POST, PUT and PATCH always carry one: `nil` is sent as `Content-Length: 0`.
    public var body: Data?
    /// Whole transfer, connect included (`CURLOPT_TIMEOUT_MS`).
    public var timeout: Duration

    public init(
        method: String = "GET",
        url: String,
        headers: [HTTPHeader] = [],
        body: Data? = nil,
        timeout: Duration = .seconds(30)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}
