internal import Foundation
public import Hummingbird

/// A request-level error (RFC 9457 `application/problem+json`). The only type that writes one.
public struct Problem: HTTPResponseError, Sendable {
    public struct FieldError: Codable, Sendable, Equatable {
        public var pointer: String
        public var message: String

        public init(pointer: String, message: String) {
            self.pointer = pointer
            self.message = message
        }
    }

    public let status: HTTPResponse.Status
    public let type: String
    public let title: String
    public let detail: String
    /// The listed errors: at most `maxListedErrors`, each field at most `maxFieldLength` scalars.
    public let errors: [FieldError]
    /// Every error found, listed or not.
    public let errorCount: Int
    public var headers: HTTPFields = [:]

    /// - Parameter errorCount: how many errors were found when `errors` holds only the first ones
    ///   (`FieldErrorList`); nil: `errors.count`.
    public init(
        _ status: HTTPResponse.Status, type: String, title: String, detail: String, errors: [FieldError] = [], errorCount: Int? = nil
    ) {
        self.status = status
        self.type = "https://cancelgate.dev/problems/\(type)"
        self.title = title
        self.detail = Self.truncated(detail, to: Self.maxDetailLength)
        self.errors = errors.prefix(Self.maxListedErrors).map {
            FieldError(pointer: Self.truncated($0.pointer, to: Self.maxFieldLength), message: Self.truncated($0.message, to: Self.maxFieldLength))
        }
        self.errorCount = max(errorCount ?? errors.count, errors.count)
    }

    struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let errors: [FieldError]
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try encoded()
        var fields = headers
        fields[.contentType] = "application/problem+json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Problem {
    static func unreadableJSON(_ detail: String) -> Problem {
        Problem(.badRequest, type: "unreadable-json", title: "Unreadable JSON", detail: detail)
    }

    static func invalid(_ errors: [FieldError]) -> Problem {
        invalid(errors, count: errors.count)
    }

    static func invalid(_ list: FieldErrorList) -> Problem {
        invalid(list.listed, count: list.count)
    }

    private static func invalid(_ errors: [FieldError], count: Int) -> Problem {
        Problem(
            .unprocessableContent, type: "invalid-request", title: "Invalid request",
            detail: "The request breaks \(count == 1 ? "a rule" : "\(count) rules") of the cancel API; see errors.",
            errors: errors, errorCount: count)
    }

    static func tooLarge(limit: Int) -> Problem {
        Problem(.contentTooLarge, type: "body-too-large", title: "Body too large", detail: "The request body is larger than \(limit) bytes.")
    }

    static let unsupportedMediaType = Problem(
        .unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported media type",
        detail: "Send the request body as JSON with Content-Type: application/json.")

    static func unauthorized(_ detail: String) -> Problem {
        var problem = Problem(.unauthorized, type: "unauthorized", title: "Unauthorized", detail: detail)
        problem.headers[.wwwAuthenticate] = "Bearer"
        return problem
    }

    /// 409: the request collides with one still running (an `Idempotency-Key` in use).
    static func conflict(_ detail: String) -> Problem {
        Problem(.conflict, type: "conflict", title: "Conflict", detail: detail)
    }

    static let notFound = Problem(.notFound, type: "not-found", title: "Not found", detail: "No such endpoint.")
    static let internalError = Problem(
        .internalServerError, type: "internal-error", title: "Internal error", detail: "The gateway failed unexpectedly; the failure was logged.")
}
