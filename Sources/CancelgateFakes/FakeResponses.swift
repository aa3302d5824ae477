import HTTPTypes
import Hummingbird

/// Response builders shared by the provider files.
enum FakeResponse {
    static func json(_ status: Int, _ value: JSONValue) -> Response {
        raw(status, value.serialized, contentType: "application/json")
    }

    static func raw(_ status: Int, _ text: String, contentType: String) -> Response {
        Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: contentType],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// FastAPI's `{"detail": "..."}` (Kubiya, Skyvern, Meibel).
    static func detail(_ status: Int, _ message: String) -> Response {
        json(status, .object([("detail", .string(message))]))
    }

    /// FastAPI's `HTTPValidationError` with the given items (see `FastAPIValidation`).
    static func validation(_ items: [JSONValue]) -> Response {
        json(422, .object([("detail", .array(items))]))
    }

    /// What FastAPI answers for a body that is not JSON (before auth is even looked at).
    static func jsonInvalid() -> Response {
        validation([
            FastAPIValidation.item(
                "json_invalid", loc: [.string("body"), .int(0)], msg: "JSON decode error",
                input: .object([]), ctx: [("error", .string("Expecting value"))]
            )
        ])
    }

    /// Starlette decodes the path before routing, so an ID holding `/` matches no route.
    static func starletteNotFound() -> Response {
        detail(404, "Not Found")
    }

    /// An injected `.status` fault, in the provider's own error shape.
    static func fault(_ provider: FakeProvider, status: Int) -> Response {
        let phrase = reasonPhrase(status)
        switch provider {
        case .kubiya, .skyvern, .meibel:
            return detail(status, phrase)
        case .c1:
            return C1Error.response(status: status, code: C1Error.grpcCode(forHTTP: status), message: phrase.lowercased())
        }
    }

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: "Error"
        }
    }

    /// An HTML error page, as a proxy in front of a provider might send.
    static func garbage() -> Response {
        raw(200, "<html><body><h1>502 Bad Gateway</h1>upstream sent an invalid response", contentType: "text/html")
    }
}

/// Errors a fake handler throws to end a call without writing any answer.
enum FakeAbort: Error {
    case connectionClosed
    case abandoned
}

/// Percent-decoding of one path segment, exactly: every `%XX` becomes that byte (`%2F` included), `+` stays.
/// Hummingbird's router splits the raw path on `/` and hands parameters over still encoded.
func percentDecoded(_ segment: some StringProtocol) -> String {
    var bytes: [UInt8] = []
    var iterator = Array(segment.utf8)[...]
    while let byte = iterator.popFirst() {
        if byte == UInt8(ascii: "%"), iterator.count >= 2,
            let high = hexValue(iterator[iterator.startIndex]),
            let low = hexValue(iterator[iterator.startIndex + 1])
        {
            bytes.append(high << 4 | low)
            iterator = iterator.dropFirst(2)
        } else {
            bytes.append(byte)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

private func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

extension Request {
    var requestID: String? {
        headers[.xRequestID]
    }

    /// The bearer token of `Authorization: Bearer <token>`, if any.
    var bearerToken: String? {
        guard let value = headers[.authorization] else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingSpaces
    }
}

extension HTTPField.Name {
    static let xRequestID = Self("X-Request-ID")!
    static let xAPIKey = Self("x-api-key")!
    static let meibelAPIKey = Self("Meibel-API-Key")!
}

extension String {
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
