internal import CancelgateCore
public import Hummingbird
internal import Logging

/// `clients` in routes.json: every `/v1` call needs `Authorization: Bearer <token>` of one client.
/// With no clients configured, callers are not authenticated (local use).
struct ClientAuthMiddleware: RouterMiddleware {
    let authenticator: ClientAuthenticator

    func handle(_ request: Request, context: GatewayContext, next: (Request, GatewayContext) async throws -> Response) async throws -> Response {
        guard authenticator.isEnabled else { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            throw Problem.unauthorized("This gateway needs Authorization: Bearer <token>.")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", let client = authenticator.authenticate(token: String(parts[1])) else {
            throw Problem.unauthorized("The bearer token is not one of this gateway's clients.")
        }
        var context = context
        context.caller = client.name
        context.allowedUpstreams = Set(client.upstreams)
        context.logger[metadataKey: "caller"] = "\(client.name)"
        return try await next(request, context)
    }
}
