internal import CancelgateCore
internal import CancelgateWire
internal import CurlClient

/// Record writes of concurrent requests committed together (group commit).
///
/// Every request writes its record twice: running before its first upstream call, completed
/// before its answer. Written one transaction each, that was 1 + 4 statements per request on
/// SQLite (each statement a hop to sqlite-nio's thread pool and back, all behind its one
/// connection) and as many round trips plus a commit on PostgreSQL. Now a write that finds no
/// batch being committed commits at once, alone; writes that arrive meanwhile wait in line, and
/// the first of them, when its turn comes, commits everything in line (at most `maxBatch` writes
/// and `maxWeight` item rows) at once (`commitBatch`: on SQLite a transaction of a few multi-row
/// statements, on PostgreSQL one statement).
/// Under load a request's writes cost a fraction of a statement; alone, what they cost before.
///
/// Each writer learns its own write's fate: when a batch fails, its writes are tried again one by
/// one (`commitOne`), so one bad write fails alone and nothing is lost. A batch never waits for
/// a timer: it is whatever queued while the one before it was committed.
final class GroupCommit: Sendable {
    enum Write: Sendable {
        case started(CancelRecord)
        case finished(CancelRecord, KeyCompletion?)
    }

    private enum Turn: Sendable {
        case done(Result<Void, any Error>)
        case lead
    }

    private struct Waiter: Sendable {
        let write: Write
        let turn: CheckedContinuation<Turn, Never>
    }

    private struct State: Sendable {
        var committing = false
        var waiting: [Waiter] = []
        var batches = 0
        var fallbacks = 0
    }

    let maxBatch: Int
    /// Bound on the sum of `weight` over a batch's writes (a record's item rows): a batch of
    /// large records must not hold the small writes behind it for long. The first write of a
    /// batch always goes, whatever its weight.
    let maxWeight: Int
    private let weight: @Sendable (Write) -> Int
    // Locked (an NSLock), not Mutex: the thread sanitizer sees only the former (CurlClient's Locked).
    private let state = Locked(State())
    private let commitOne: @Sendable (Write) async throws -> Void
    private let commitBatch: @Sendable ([Write]) async throws -> Void

    init(
        maxBatch: Int, maxWeight: Int = .max, weight: @escaping @Sendable (Write) -> Int = { _ in 1 },
        one: @escaping @Sendable (Write) async throws -> Void, batch: @escaping @Sendable ([Write]) async throws -> Void
    ) {
        precondition(maxBatch >= 1)
        self.maxBatch = maxBatch
        self.maxWeight = maxWeight
        self.weight = weight
        self.commitOne = one
        self.commitBatch = batch
    }

    /// Transactions of more than one write that committed (tests).
    var batchesCommitted: Int { state.withLock { $0.batches } }

    /// Batches that failed and were written one by one (tests).
    var batchesFallenBack: Int { state.withLock { $0.fallbacks } }

    /// Writes in line behind the commit under way (tests).
    var waitingCount: Int { state.withLock { $0.waiting.count } }

    /// Returns when `write` is committed; throws its own failure.
    func write(_ write: Write) async throws {
        let turn = await withCheckedContinuation { (turn: CheckedContinuation<Turn, Never>) in
            let leads = state.withLock { state in
                if state.committing {
                    state.waiting.append(Waiter(write: write, turn: turn))
                    return false
                }
                state.committing = true
                return true
            }
            if leads { turn.resume(returning: .lead) }
        }
        switch turn {
        case .done(let result): try result.get()
        case .lead: try await lead(with: write)
        }
    }

    /// Commits `own` and the writes in line behind it, answers them, and hands the lead to the
    /// first writer still waiting (or ends the commit when none is).
    private func lead(with own: Write) async throws {
        let joined = state.withLock { state in
            var total = weight(own), count = 0
            for waiter in state.waiting.prefix(maxBatch - 1) {
                total += weight(waiter.write)
                guard total <= maxWeight else { break }
                count += 1
            }
            let taken = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return taken
        }
        let results: [Result<Void, any Error>]
        var batched = false
        if joined.isEmpty {
            results = [await Self.result { try await self.commitOne(own) }]
        } else {
            // In a task of its own: the writers who joined must not fail because this one's
            // task was cancelled.
            let writes = [own] + joined.map(\.write)
            (results, batched) = await Task { await self.commit(writes) }.value
        }
        let next = state.withLock { state -> Waiter? in
            if !joined.isEmpty {
                if batched { state.batches += 1 } else { state.fallbacks += 1 }
            }
            guard !state.waiting.isEmpty else {
                state.committing = false
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.turn.resume(returning: .lead)
        for (waiter, result) in zip(joined, results.dropFirst()) {
            waiter.turn.resume(returning: .done(result))
        }
        try results[0].get()
    }

    /// Each write's result, and whether they went in one transaction.
    private func commit(_ writes: [Write]) async -> ([Result<Void, any Error>], Bool) {
        do {
            try await commitBatch(writes)
            return (Array(repeating: .success(()), count: writes.count), true)
        } catch {
            var results: [Result<Void, any Error>] = []
            for write in writes {
                results.append(await Self.result { try await self.commitOne(write) })
            }
            return (results, false)
        }
    }

    private static func result(_ body: () async throws -> Void) async -> Result<Void, any Error> {
        do {
            try await body()
            return .success(())
        } catch {
            return .failure(error)
        }
    }
}
