/// One requested entry, from `ids` or `items`.
public struct CancelEntry: Sendable, Equatable {
    public var id: String
    /// Named in the item itself; skips routing.
    public var upstream: String?
    /// This entry's cancel may already have been sent, its answer lost: it was in a job's chunk
    /// in flight when that job's runner stopped (CONTRACT §6). The in-doubt rules apply to it
    /// from the start (§7): its status is read before any cancel is sent again.
    public var sentBefore: Bool

    public init(id: String, upstream: String? = nil, sentBefore: Bool = false) {
        self.id = id
        self.upstream = upstream
        self.sentBefore = sentBefore
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
    /// A job's chunk: no call of the plan's chunks starts later than this after the request
    /// began (follow-ups of calls already made still do), so the calls in flight can finish
    /// within the deadline rather than be cut off by it, in doubt. What did not start is
    /// answered `deadline_exceeded` with no attempt, and the job queues it again.
    public var sendWindow: Duration?

    public init(
        requestID: String, reason: String, defaultUpstream: String? = nil, entries: [CancelEntry], dryRun: Bool = false,
        allowedUpstreams: Set<String>? = nil, confirm: Bool? = nil, pacer: CallPacer? = nil,
        sendWindow: Duration? = nil
    ) {
        self.requestID = requestID
        self.reason = reason
        self.defaultUpstream = defaultUpstream
        self.entries = entries
        self.dryRun = dryRun
        self.allowedUpstreams = allowedUpstreams
        self.confirm = confirm
        self.pacer = pacer
        self.sendWindow = sendWindow
    }
}
