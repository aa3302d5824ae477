internal import CancelgateWire
/// Routes each entry (named upstream → top-level default → first matching route), rejects IDs
/// that cannot be valid for their provider, removes duplicates per upstream and chunks the rest.
/// Pure: no I/O, no clock.
struct Planner: Sendable {
    let config: RoutesConfig
    /// By upstream name, looked up once.
    let adapters: [String: any ProviderAdapter]
    private let upstreams: [String: UpstreamConfig]
    /// Each route's upstream, in route order (nil: the route names no configured upstream).
    private let routeUpstreams: [UpstreamConfig?]

    init(config: RoutesConfig) {
        self.config = config
        self.adapters = Dictionary(uniqueKeysWithValues: config.upstreams.map { ($0.name, Adapters.adapter(for: $0)) })
        self.upstreams = Dictionary(config.upstreams.map { ($0.name, $0) }) { first, _ in first }
        self.routeUpstreams = config.routes.map { config.upstream(named: $0.upstream) }
    }

    func plan(_ request: CancelRequest) -> Plan {
        var entries: [PlannedEntry] = []
        var unitOrder: [String: [PlannedUnit]] = [:]  // upstream → unique units in order
        var seen: Set<UnitKey> = []
        entries.reserveCapacity(request.entries.count)
        seen.reserveCapacity(request.entries.count)

        for index in request.entries.indices {
            let entry = plan(index, of: request)
            if case .send(let key) = entry.disposition, seen.insert(key).inserted {
                unitOrder[key.upstream, default: []].append(PlannedUnit(id: entry.id, key: key))
            }
            entries.append(entry)
        }

        let work = config.upstreams.compactMap { upstream -> UpstreamWork? in
            guard let units = unitOrder[upstream.name], let adapter = adapters[upstream.name] else { return nil }
            let size = max(1, adapter.chunkSize(upstream))
            let chunks = stride(from: 0, to: units.count, by: size).map { Array(units[$0..<min($0 + size, units.count)]) }
            return UpstreamWork(upstream: upstream, adapter: adapter, chunks: chunks)
        }
        return Plan(entries: entries, work: work)
    }

    /// One entry's decision, on its own: where it goes and whether it is sent (duplicates are
    /// the caller's business). `plan` and the jobs' `jobEntries` share it.
    func plan(_ index: Int, of request: CancelRequest) -> PlannedEntry {
        let entry = request.entries[index]
        let named = entry.upstream ?? request.defaultUpstream
        let upstream: UpstreamConfig? = if let named { upstreams[named] } else { route(entry.id) }
        guard let upstream else {
            let resolution: Resolution =
                named == nil
                ? .local(.unroutable, .unroutable, "No route matches this ID and no upstream was named.")
                : .local(.unroutable, .unknownUpstream, "The named upstream is not configured.")
            return PlannedEntry(index: index, id: entry.id, upstream: named, provider: nil, disposition: .decided(resolution))
        }
        guard let adapter = adapters[upstream.name] else { preconditionFailure("every configured upstream has an adapter") }
        let decided: Resolution?
        if let allowed = request.allowedUpstreams, !allowed.contains(upstream.name) {
            decided = .local(.forbidden, .forbidden, "This caller may not cancel on upstream \(upstream.name).")
        } else if let reason = adapter.rejection(of: entry.id) {
            decided = .local(.invalid, .invalidID, reason)
        } else {
            decided = nil
        }
        if let decided {
            return PlannedEntry(index: index, id: entry.id, upstream: upstream.name, provider: upstream.provider, disposition: .decided(decided))
        }
        let key = UnitKey(upstream: upstream.name, canonicalID: adapter.canonicalKey(entry.id))
        return PlannedEntry(index: index, id: entry.id, upstream: upstream.name, provider: upstream.provider, disposition: .send(key))
    }

    /// The first route whose match accepts `id`, if its upstream exists.
    func route(_ id: String) -> UpstreamConfig? {
        config.routes.firstIndex { $0.matches(id) }.flatMap { routeUpstreams[$0] }
    }

    /// A dry run's `plan`: one element per upstream call.
    func plannedCalls(_ plan: Plan, reason: String) -> [PlannedCall] {
        plan.work.flatMap { work in
            work.chunks.flatMap { chunk in
                work.adapter.cancelCalls(for: chunk, reason: reason).map { call in
                    PlannedCall(
                        upstream: work.upstream.name, provider: work.upstream.provider.rawValue, method: call.request.method, path: call.request.path,
                        ids: call.ids)
                }
            }
        }
    }
}
