public import CancelgateWire

/// What jobs (CONTRACT §6) need of the planner and the in-doubt rules; the runner itself sends
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

extension ItemResult {
    /// This result of a chunk sent again after the runner that first sent it died (CONTRACT §6):
    /// a failure that does not rule out that the lost send cancelled the run is `in_doubt`,
    /// retryable, as after any attempt whose answer was lost (§3).
    public func afterLostSend() -> ItemResult {
        guard outcome == .failed, let error, !InDoubt.definiteFailures.contains(error.code), !InDoubt.saysInDoubt.contains(error.code),
            error.code != .inDoubt
        else { return self }
        var copy = self
        copy.retryable = true
        copy.error = ItemError(.inDoubt, "A send before the job's runner stopped may already have cancelled the run; this one failed: \(error.message)")
        return copy
    }
}
