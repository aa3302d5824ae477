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
    public let errors: [FieldError]
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, type: String, title: String, detail: String, errors: [FieldError] = []) {
        self.status = status
        self.type = "https://cancelgate.dev/problems/\(type)"
        self.title = title
        self.detail = detail
        self.errors = errors
    }

    struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String
        let errors: [FieldError]
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(type: type, title: title, status: status.code, detail: detail, errors: errors)
        let data = try JSONEncoder().encode(body)
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
        Problem(
            .unprocessableContent, type: "invalid-request", title: "Invalid request",
            detail: "The request breaks \(errors.count == 1 ? "a rule" : "\(errors.count) rules") of the cancel API; see errors.",
            errors: errors)
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
