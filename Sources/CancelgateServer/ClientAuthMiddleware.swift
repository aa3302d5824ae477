internal import CancelgateCore
internal import Hummingbird
internal import Logging

/// `clients` in routes.json: every `/v1` and `/admin` call needs `Authorization: Bearer <token>`
/// of one client. With no clients configured, callers are not authenticated (local use).
/// Also pins the configuration in force for the rest of the request.
struct ClientAuthMiddleware: RouterMiddleware {
    let live: LiveConfiguration

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        var context = context
        let runtime = live.current
        context.runtime = runtime
        let authenticator = runtime.authenticator
        guard authenticator.isEnabled else {
            context.isAdmin = true
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthorized("This gateway needs Authorization: Bearer <token>.")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", let client = authenticator.authenticate(token: String(parts[1])) else {
            throw Problem.unauthorized("The bearer token is not one of this gateway's clients.")
        }
        context.caller = client.name
        context.allowedUpstreams = Set(client.upstreams)
        context.isAdmin = client.admin
        context.logger[metadataKey: "caller"] = "\(client.name)"
        return try await next(request, context)
    }
}
