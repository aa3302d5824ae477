/// Routes each entry (named upstream → top-level default → first matching route), rejects IDs
/// that cannot be valid for their provider, removes duplicates per upstream and chunks the rest.
/// Pure: no I/O, no clock.
public struct Planner: Sendable {
    public let config: RoutesConfig

    public init(config: RoutesConfig) {
        self.config = config
    }

    public func plan(_ request: CancelRequest) -> Plan {
        var entries: [PlannedEntry] = []
        var unitOrder: [String: [String]] = [:]  // upstream → unique IDs in order
        var seen: Set<UnitKey> = []
        entries.reserveCapacity(request.entries.count)

        for (index, entry) in request.entries.enumerated() {
            let named = entry.upstream ?? request.defaultUpstream
            let upstream: UpstreamConfig? = if let named { config.upstream(named: named) } else { route(entry.id) }
            guard let upstream else {
                let resolution: Resolution =
                    named == nil
                    ? .local(.unroutable, .unroutable, "No route matches this ID and no upstream was named.")
                    : .local(.unroutable, .unknownUpstream, "The named upstream is not configured.")
                entries.append(PlannedEntry(index: index, id: entry.id, upstream: named, provider: nil, disposition: .decided(resolution)))
                continue
            }
            let adapter = Adapters.adapter(for: upstream)
            let decided: Resolution?
            if let allowed = request.allowedUpstreams, !allowed.contains(upstream.name) {
                decided = .local(.forbidden, .forbidden, "This caller may not cancel on upstream \(upstream.name).")
            } else if let reason = adapter.rejection(of: entry.id) {
                decided = .local(.invalid, .invalidID, reason)
            } else {
                decided = nil
            }
            if let decided {
                entries.append(PlannedEntry(index: index, id: entry.id, upstream: upstream.name, provider: upstream.provider, disposition: .decided(decided)))
                continue
            }
            let key = UnitKey(upstream: upstream.name, canonicalID: adapter.canonicalKey(entry.id))
            if seen.insert(key).inserted {
                unitOrder[upstream.name, default: []].append(entry.id)
            }
            entries.append(PlannedEntry(index: index, id: entry.id, upstream: upstream.name, provider: upstream.provider, disposition: .send(key)))
        }

        let work = config.upstreams.compactMap { upstream -> UpstreamWork? in
            guard let ids = unitOrder[upstream.name] else { return nil }
            let size = max(1, Adapters.adapter(for: upstream).chunkSize(upstream))
            return UpstreamWork(upstream: upstream, chunks: stride(from: 0, to: ids.count, by: size).map { Array(ids[$0..<min($0 + size, ids.count)]) })
        }
        return Plan(entries: entries, work: work)
    }

    /// The first route whose match accepts `id`, if its upstream exists.
    func route(_ id: String) -> UpstreamConfig? {
        config.routes.first { $0.matches(id) }.flatMap { config.upstream(named: $0.upstream) }
    }

    /// A dry run's `plan`: one element per upstream call.
    public func plannedCalls(_ plan: Plan, reason: String) -> [PlannedCall] {
        plan.work.flatMap { work in
            let adapter = Adapters.adapter(for: work.upstream)
            return work.chunks.flatMap { chunk in
                let requests = adapter.plannedRequests(for: chunk, reason: reason)
                // Per-ID providers make one request per ID; batch providers one per chunk.
                let idsPerRequest = requests.count == chunk.count ? chunk.map { [$0] } : [chunk]
                return zip(requests, idsPerRequest).map { request, ids in
                    PlannedCall(upstream: work.upstream.name, provider: work.upstream.provider, method: request.method, path: request.path, ids: ids)
                }
            }
        }
    }
}
