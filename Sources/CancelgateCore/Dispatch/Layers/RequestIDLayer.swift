internal import CurlClient

/// Sends the gateway request's `X-Request-ID` to the upstream on every call (CONTRACT §3), so
/// one ID follows a cancel through every provider's logs.
struct RequestIDLayer: UpstreamMiddleware {
    func wrap(_ next: @escaping UpstreamCall) -> UpstreamCall {
        { request, context in
            var request = request
            request.headers.append(HTTPHeader("X-Request-ID", context.requestID))
            return await next(request, context)
        }
    }
}
