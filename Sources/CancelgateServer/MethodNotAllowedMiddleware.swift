public import Hummingbird

/// Turns the router's 404 for a known path with a method it does not serve into a 405 problem
/// with `Allow`. The methods come from the router's own route list (`Router.routes`), so a new
/// route needs no second list. Added to the router after every route: a middleware wraps only
/// the endpoints added after it, and the not-found responder, so this one runs for unmatched
/// requests only (and passes anything but a 404 through, should a route be added after it).
public struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    struct Route: Sendable {
        let path: RouterPath
        let methods: [HTTPRequest.Method]
    }

    let routes: [Route]

    /// - Parameters:
    ///   - routes: `router.routes` once every route is added.
    ///   - headForGet: the router has `.autoGenerateHeadEndpoints`, whose HEAD routes appear only
    ///     once it builds its responder: every path with GET also answers HEAD.
    public init(routes: [Router<Context>.RouteDescription], headForGet: Bool = false) {
        var byPath: [String: Route] = [:]
        var order: [String] = []
        for route in routes {
            let key = route.path.description
            if byPath[key] == nil { order.append(key) }
            byPath[key] = Route(path: route.path, methods: (byPath[key]?.methods ?? []) + [route.method])
        }
        self.routes = order.compactMap { byPath[$0] }.map { route in
            guard headForGet, route.methods.contains(.get), !route.methods.contains(.head) else { return route }
            return Route(path: route.path, methods: route.methods + [.head])
        }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            guard let route = route(for: request.uri.path), !route.methods.contains(request.method) else { throw error }
            // The route template, not "NotFound", labels the request's metric and log line.
            context.coreContext.endpointPath.value = route.path.description
            throw Problem.methodNotAllowed(request.method, allowed: route.methods)
        }
    }

    /// The route whose path matches, as the router's trie would match it.
    func route(for path: String) -> Route? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.first { route in Self.matches(route.path.components, segments[...]) }
    }

    static func matches(_ elements: [RouterPath.Element], _ segments: ArraySlice<Substring>) -> Bool {
        guard let element = elements.first else { return segments.isEmpty }
        if element == .recursiveWildcard { return true }
        guard let segment = segments.first, element ~= segment else { return false }
        return matches(Array(elements.dropFirst()), segments.dropFirst())
    }
}

extension Problem {
    /// 405 with `Allow`: the path exists, the method does not.
    static func methodNotAllowed(_ method: HTTPRequest.Method, allowed: [HTTPRequest.Method]) -> Problem {
        let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
        var problem = Problem(
            .methodNotAllowed, type: "method-not-allowed", title: "Method not allowed",
            detail: "This path does not answer \(method.rawValue); it answers \(allow).")
        problem.headers[.allow] = allow
        return problem
    }
}
