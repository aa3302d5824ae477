/// One unique (upstream, run) pair: the unit that is sent upstream once, however often it was requested.
public struct UnitKey: Sendable, Hashable {
    public var upstream: String
    public var canonicalID: String
}

/// What the planner decided for one requested entry.
public struct PlannedEntry: Sendable {
    public enum Disposition: Sendable {
        /// Sent upstream as part of this unit.
        case send(UnitKey)
        /// Decided without any upstream call (unroutable, invalid, forbidden).
        case decided(Resolution)
    }

    public var index: Int
    public var id: String
    public var upstream: String?
    public var provider: ProviderKind?
    public var disposition: Disposition
}

/// The calls to make on one upstream, with the adapter that translates them.
public struct UpstreamWork: Sendable {
    public var upstream: UpstreamConfig
    public var adapter: any ProviderAdapter
    /// Unique units (first spelling seen), in request order, already chunked to the call size.
    public var chunks: [[PlannedUnit]]
}

public struct Plan: Sendable {
    /// One per requested entry, in request order.
    public var entries: [PlannedEntry]
    /// One per upstream that has something to send, in configuration order.
    public var work: [UpstreamWork]
}
