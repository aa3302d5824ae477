public import Hummingbird

/// The per-request context: Hummingbird's core storage plus the authenticated caller.
public struct GatewayContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The `clients` entry that authenticated this request; nil when callers are not authenticated.
    public var caller: String?
    public var allowedUpstreams: Set<String>?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
