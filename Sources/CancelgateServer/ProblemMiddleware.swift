public import Hummingbird
internal import Logging

/// Turns every error below it into a problem+json answer: Hummingbird's own `HTTPError`s (such
/// as the empty 413 of an oversized body or a 404 for an unknown route) and anything unexpected,
/// which becomes a generic 500 and a log line. Every refused request gets its one log line here,
/// as every answered cancel gets "cancel request finished".
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Self.problem(for: error, context: context)
            var metadata: Logger.Metadata = [
                "http.method": "\(request.method)", "http.route": "\(context.endpointPath ?? "unmatched")", "http.status": "\(problem.status.code)",
                "problem.type": "\(problem.type)",
            ]
            // The caller's own X-Request-ID, so a refused request can be found in the logs.
            if let requestID = request.headers[.requestID], CancelController.isValidRequestID(requestID) {
                problem.headers[.requestID] = requestID
                metadata["request.id"] = "\(requestID)"
            }
            context.logger.info("request refused", metadata: metadata)
            throw problem
        }
    }

    static func problem(for error: any Error, context: Context) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge: return Problem.tooLarge(limit: context.maxUploadSize)
            case .notFound: return Problem.notFound
            case .unsupportedMediaType: return Problem.unsupportedMediaType
            default:
                return Problem(
                    error.status, type: "http-\(error.status.code)", title: error.status.reasonPhrase,
                    detail: error.body ?? error.status.reasonPhrase)
            }
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            return Problem.tooLarge(limit: context.maxUploadSize)
        default:
            context.logger.error("unexpected error", metadata: ["error.type": "\(String(reflecting: Swift.type(of: error)))"])
            return Problem.internalError
        }
    }
}
