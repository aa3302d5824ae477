public import Foundation

/// A complete HTTP response. Any status, 500 included, is a response and not an error.
public struct CurlResponse: Sendable {
    public var status: Int
    /// The final response's header fields in arrival order, names as received
    /// (interim 1xx heads and trailers are not included).
    public var headers: [HTTPHeader]
    public var body: Data

    public init(status: Int, headers: [HTTPHeader] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first field called `name`, compared case-insensitively (RFC 9110 §5.1).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
