public import Hummingbird
internal import Logging

/// Turns every error below it into a problem+json answer: Hummingbird's own `HTTPError`s (such
/// as the empty 413 of an oversized body or a 404 for an unknown route) and anything unexpected,
/// which becomes a generic 500 and a log line.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            throw problem
        } catch let error as HTTPError {
            switch error.status {
            case .contentTooLarge: throw Problem.tooLarge(limit: context.maxUploadSize)
            case .notFound: throw Problem.notFound
            case .unsupportedMediaType: throw Problem.unsupportedMediaType
            default:
                throw Problem(
                    error.status, type: "http-\(error.status.code)", title: error.status.reasonPhrase,
                    detail: error.body ?? error.status.reasonPhrase)
            }
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Problem.tooLarge(limit: context.maxUploadSize)
        } catch {
            context.logger.error("unexpected error", metadata: ["error.type": "\(String(reflecting: Swift.type(of: error)))"])
            throw Problem.internalError
        }
    }
}
