/// One requested entry, from `ids` or `items`.
public struct CancelEntry: Sendable, Equatable {
    public var id: String
    /// Named in the item itself; skips routing.
    public var upstream: String?

    public init(id: String, upstream: String? = nil) {
        self.id = id
        self.upstream = upstream
    }
}

/// A `POST /v1/cancel` whose envelope is valid.
public struct CancelRequest: Sendable {
    public var requestID: String
    public var reason: String
    /// The top-level `upstream`: default for entries naming none.
    public var defaultUpstream: String?
    public var entries: [CancelEntry]
    public var dryRun: Bool
    /// Upstreams this caller may use; nil when callers are not authenticated.
    public var allowedUpstreams: Set<String>?
    /// Confirmed cancellation (CONTRACT §7): true or false as asked; nil: each upstream's `confirm`.
    public var confirm: Bool?
    /// A job's `rate_per_second` over this request's calls (nil: only the upstreams' limits).
    public var pacer: CallPacer?

    public init(
        requestID: String, reason: String, defaultUpstream: String? = nil, entries: [CancelEntry], dryRun: Bool = false,
        allowedUpstreams: Set<String>? = nil, confirm: Bool? = nil, pacer: CallPacer? = nil
    ) {
        self.requestID = requestID
        self.reason = reason
        self.defaultUpstream = defaultUpstream
        self.entries = entries
        self.dryRun = dryRun
        self.allowedUpstreams = allowedUpstreams
        self.confirm = confirm
        self.pacer = pacer
    }
}
