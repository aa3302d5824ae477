public import Foundation

/// A complete HTTP response. Any status, 500 included, is a response and not an error.
public struct CurlResponse: Sendable {
    public var status: Int
    /// The final response's header fields in arrival order, names as received
    /// (interim 1xx heads and trailers are not included).
    public var headers: [HTTPHeader]
    public var body: Data
    /// How many times the request went out. More than 1 when libcurl resent it on a fresh
    /// connection after a reused one died without answering: the first send may have acted.
    public var timesSent: Int

    public init(status: Int, headers: [HTTPHeader] = [], body: Data = Data(), timesSent: Int = 1) {
        self.status = status
        self.headers = headers
        self.body = body
        self.timesSent = timesSent
    }

    /// The first field called `name`, compared case-insensitively (RFC 9110 §5.1).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
