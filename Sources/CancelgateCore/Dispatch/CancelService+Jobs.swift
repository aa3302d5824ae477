internal import CancelgateWire

/// What jobs (CONTRACT §6) need of the planner; the runner itself sends
/// each chunk through `cancel` like any request.
extension CancelService {
    /// The job's entries as the store keeps them: each entry naming the same (upstream, run) as
    /// an earlier one points at it and is never sent, so a run is cancelled once per job however
    /// its chunks fall. The upstream stored is the one named (entry or request default).
    public func jobEntries(_ request: CancelRequest) -> [JobEntry] {
        let plan = planner.plan(request)
        var first: [UnitKey: Int] = [:]
        return plan.entries.map { entry in
            let named = request.entries[entry.index].upstream ?? request.defaultUpstream
            guard case .send(let key) = entry.disposition else { return JobEntry(index: entry.index, id: entry.id, upstream: named) }
            if let earlier = first[key] { return JobEntry(index: entry.index, id: entry.id, upstream: named, firstIndex: earlier) }
            first[key] = entry.index
            return JobEntry(index: entry.index, id: entry.id, upstream: named)
        }
    }
}
