public import Hummingbird

/// The per-request context: Hummingbird's core storage plus the authenticated caller and the
/// configuration the request started with.
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The `clients` entry that authenticated this request; nil when callers are not authenticated.
    public var caller: String?
    public var allowedUpstreams: Set<String>?
    /// The caller is a client marked `admin` (or callers are not authenticated at all).
    public var isAdmin = false
    /// Taken once, by `ClientAuthMiddleware`, so a reload during the request does not touch it.
    public var runtime: GatewayRuntime?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
