internal import CancelgateWire

/// What jobs (CONTRACT §6) need of the planner; the runner itself sends
/// each chunk through `cancel` like any request.
extension CancelService {
    /// The job's entries as the store keeps them: each entry naming the same (upstream, run) as
    /// an earlier one points at it and is never sent, so a run is cancelled once per job however
    /// its chunks fall. The upstream stored is the one named (entry or request default).
    public func jobEntries(_ request: CancelRequest) -> [JobEntry] {
        // Entry by entry, without the whole plan (its entries, units and chunks are about 40 MB
        // at 100,000 IDs, and a job sends its chunks later anyway): only each unit's first index
        // is kept, in a table sized once.
        var first: [UnitKey: Int] = [:]
        first.reserveCapacity(request.entries.count)
        var entries: [JobEntry] = []
        entries.reserveCapacity(request.entries.count)
        for index in request.entries.indices {
            let entry = request.entries[index]
            let named = entry.upstream ?? request.defaultUpstream
            guard case .send(let key) = planner.plan(index, of: request).disposition else {
                entries.append(JobEntry(index: index, id: entry.id, upstream: named))
                continue
            }
            if let earlier = first[key] {
                entries.append(JobEntry(index: index, id: entry.id, upstream: named, firstIndex: earlier))
            } else {
                first[key] = index
                entries.append(JobEntry(index: index, id: entry.id, upstream: named))
            }
        }
        return entries
    }
}
