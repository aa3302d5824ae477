public import Hummingbird

/// A path no fake route matches answers as FastAPI does for a route miss (Kubiya, Skyvern and
/// Meibel are FastAPI apps): 404 `{"detail":"Not Found"}`, which is how a gateway with a wrong
/// `base_url` meets a real provider.
struct FakeRouteMissMiddleware: RouterMiddleware {
    typealias Context = FakeRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return FakeResponse.json(404, .object([("detail", .string("Not Found"))]))
        }
    }
}
