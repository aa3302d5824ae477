internal import CurlClient

/// The upstream's credentials on every attempt. Static ones are one header; C1's OAuth2 token
/// comes from its `C1TokenSource` (shared across requests and reloads), and a 401 refreshes it
/// once and sends again (C1's SDK does the same). A token that cannot be had is a failure of its
/// own (`token_unavailable`, `upstream_auth_failed`), never a made-up HTTP status.
struct AuthLayer: UpstreamMiddleware {
    enum Credentials: Sendable {
        case none
        case header(HTTPHeader)
        case token(C1TokenSource)
    }

    let credentials: Credentials

    func wrap(_ next: @escaping UpstreamCall) -> UpstreamCall {
        switch credentials {
        case .none:
            return next
        case .header(let header):
            return { request, context in
                var request = request
                request.headers.append(header)
                return await next(request, context)
            }
        case .token(let source):
            return { request, context in await Self.send(request, context, source: source, next: next) }
        }
    }

    private static func send(_ request: UpstreamRequest, _ context: CallContext, source: C1TokenSource, next: UpstreamCall) async -> UpstreamReply {
        var refused: String?
        var sends = 0
        var inDoubt = false
        while true {
            let token: String
            switch await source.accessToken(invalidating: refused) {
            case .success(let value): token = value
            case .failure(let failure):
                return UpstreamReply(result: .failure(failure.attemptFailure), attempts: sends, inDoubt: inDoubt)
            }
            var authorized = request
            authorized.headers.append(HTTPHeader("Authorization", "Bearer \(token)"))
            let reply = await next(authorized, context)
            sends += reply.attempts
            inDoubt = inDoubt || reply.inDoubt
            guard case .success(let response) = reply.result, response.status == 401, refused == nil else {
                return UpstreamReply(result: reply.result, attempts: sends, inDoubt: inDoubt)
            }
            refused = token
        }
    }
}
