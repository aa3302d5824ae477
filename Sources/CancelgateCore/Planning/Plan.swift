/// One unique (upstream, run) pair: the unit that is sent upstream once, however often it was requested.
struct UnitKey: Sendable, Hashable {
    var upstream: String
    var canonicalID: String
}

/// What the planner decided for one requested entry.
struct PlannedEntry: Sendable {
    enum Disposition: Sendable {
        /// Sent upstream as part of this unit.
        case send(UnitKey)
        /// Decided without any upstream call (unroutable, invalid, forbidden).
        case decided(Resolution)
    }

    var index: Int
    var id: String
    var upstream: String?
    var provider: ProviderKind?
    var disposition: Disposition
}

/// The calls to make on one upstream, with the adapter that translates them.
struct UpstreamWork: Sendable {
    var upstream: UpstreamConfig
    var adapter: any ProviderAdapter
    /// Unique units (first spelling seen), in request order, already chunked to the call size.
    var chunks: [[PlannedUnit]]
}

struct Plan: Sendable {
    /// One per requested entry, in request order.
    var entries: [PlannedEntry]
    /// One per upstream that has something to send, in configuration order.
    var work: [UpstreamWork]
}
