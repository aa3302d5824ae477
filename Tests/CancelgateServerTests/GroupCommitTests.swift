import CancelgateCore
@testable import CancelgateStore
import CancelgateWire
import Foundation
import Synchronization
import Testing

/// The group commit of record writes: concurrent requests' writes share a transaction, each
/// writer still learns its own write's fate, and nothing is lost or reordered.
@Suite(.timeLimit(.minutes(2)))
struct GroupCommitTests {
    /// What the commits saw, and a gate that holds the first commit until the test opens it.
    final class Log: Sendable {
        let entries = Mutex<[String]>([])
        let gate = AsyncStream<Void>.makeStream()
        let held = Mutex(false)

        func add(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }

        /// The first caller waits for `open()`; later ones pass.
        func holdFirst() async {
            guard held.withLock({ held in defer { held = true }; return !held }) else { return }
            for await _ in gate.stream { return }
        }

        func open() { gate.continuation.finish() }
    }

    static func write(_ id: String, items: Int = 0) -> GroupCommit.Write {
        let results = (0..<items).map { ItemResult(index: $0, id: "\(id)-\($0)", upstream: "k", outcome: .cancelled, attempts: 1) }
        return .started(StoreContractTests.record(id, at: StoreContractTests.now, lease: StoreContractTests.now + 1000, results: results))
    }

    static func id(_ write: GroupCommit.Write) -> String {
        switch write {
        case .started(let record), .finished(let record, _): record.requestID
        }
    }

    static func commits(_ log: Log, maxBatch: Int, maxItems: Int = .max, poison: String? = nil) -> GroupCommit {
        GroupCommit(
            maxBatch: maxBatch, maxWeight: maxItems, weight: SQLStore.items,
            one: { write in
                await log.holdFirst()
                log.add("one " + id(write))
                if id(write) == poison { throw Poisoned() }
            },
            batch: { writes in
                let ids = writes.map(id)
                log.add("batch " + ids.joined(separator: ","))
                if let poison, ids.contains(poison) { throw Poisoned() }
            })
    }

    struct Poisoned: Error {}

    /// Starts `ids` one after another, each queued behind the commit under way before the next.
    static func queue(
        _ ids: [String], items: Int = 0, on commits: GroupCommit, into group: inout ThrowingTaskGroup<(String, Bool), any Error>
    ) async {
        for (n, id) in ids.enumerated() {
            group.addTask {
                do {
                    try await commits.write(write(id, items: items))
                    return (id, true)
                } catch {
                    return (id, false)
                }
            }
            while commits.waitingCount < n + 1 { await Task.yield() }
        }
    }

    @Test func aWriteAloneCommitsAtOnceAndThoseInLineGoTogetherInOrder() async throws {
        let log = Log()
        let commits = Self.commits(log, maxBatch: 4)
        let outcomes = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            group.addTask {
                try await commits.write(Self.write("a"))
                return ("a", true)
            }
            // "a" commits alone and is held there; the nine behind it wait in line.
            while log.held.withLock({ !$0 }) { await Task.yield() }
            await Self.queue((1...9).map { "b\($0)" }, on: commits, into: &group)
            log.open()
            var outcomes: [String: Bool] = [:]
            for try await (id, ok) in group { outcomes[id] = ok }
            return outcomes
        }
        #expect(outcomes.count == 10 && outcomes.values.allSatisfy { $0 })
        #expect(log.all == ["one a", "batch b1,b2,b3,b4", "batch b5,b6,b7,b8", "one b9"])
        #expect(commits.batchesCommitted == 2)
        #expect(commits.waitingCount == 0)
    }

    @Test func aFailedBatchIsTriedWriteByWriteSoOneBadWriteFailsAlone() async throws {
        let log = Log()
        let commits = Self.commits(log, maxBatch: 8, poison: "b2")
        let outcomes = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            group.addTask {
                try await commits.write(Self.write("a"))
                return ("a", true)
            }
            while log.held.withLock({ !$0 }) { await Task.yield() }
            await Self.queue(["b1", "b2", "b3"], on: commits, into: &group)
            log.open()
            var outcomes: [String: Bool] = [:]
            for try await (id, ok) in group { outcomes[id] = ok }
            return outcomes
        }
        #expect(outcomes == ["a": true, "b1": true, "b2": false, "b3": true])
        #expect(log.all == ["one a", "batch b1,b2,b3", "one b1", "one b2", "one b3"])
        #expect(commits.batchesCommitted == 0 && commits.batchesFallenBack == 1)
    }

    /// Large records do not make one huge transaction: a batch stops at `maxWeight` item rows
    /// (its first write goes whatever its size).
    @Test func aBatchStopsAtItsItemBound() async throws {
        let log = Log()
        let commits = Self.commits(log, maxBatch: 10, maxItems: 5)
        try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            group.addTask {
                try await commits.write(Self.write("a"))
                return ("a", true)
            }
            while log.held.withLock({ !$0 }) { await Task.yield() }
            await Self.queue(["b1", "b2", "b3", "b4", "b5"], items: 2, on: commits, into: &group)
            log.open()
            for try await (_, ok) in group { #expect(ok) }
        }
        #expect(log.all == ["one a", "batch b1,b2", "batch b3,b4", "one b5"])
    }

    /// What a batch writes for repeats and for both writes of one record is what the writes one
    /// at a time would leave; a record finished twice in one batch is refused before anything
    /// is written (GroupCommit then writes them one by one).
    @Test(arguments: StoreContractTests.kinds.filter { $0 != "memory" })
    func aBatchOfRepeatsAndBothWritesOfARecordLeavesWhatOneByOneWould(kind: String) async throws {
        try await StoreContractTests.with(kind) { store in
            let sql = try #require(store as? SQLStore)
            let now = StoreContractTests.now
            let results = [ItemResult(index: 0, id: "run-a", upstream: "k", outcome: .cancelled, attempts: 1)]
            let a = StoreContractTests.record("req-a", at: now, lease: now + 60_000, results: results)
            let b = StoreContractTests.record("req-b", at: now, lease: now + 60_000, results: results)
            try await SQLStore.commit(
                [.started(a), .finished(a.completed(with: StoreContractTests.report("req-a", results), atMs: now + 5), nil), .started(b), .started(b)],
                sql.driver)
            let storedA = try #require(try await store.record(requestID: "req-a"))
            #expect(storedA.state == .completed && storedA.results?.map(\.id) == ["run-a"])
            #expect(try await store.record(requestID: "req-b")?.state == .running)

            let c = StoreContractTests.record("req-c", at: now, lease: now + 60_000, results: results)
            let done = c.completed(with: StoreContractTests.report("req-c", results), atMs: now + 5)
            await #expect(throws: SQLStore.RepeatedRecord.self) {
                try await SQLStore.commit([.finished(done, nil), .finished(done, nil)], sql.driver)
            }
            #expect(try await store.record(requestID: "req-c") == nil)
        }
    }

    /// Through a real store: many requests' starts and finishes at once (with Idempotency-Keys on
    /// some) all land, with their items, and the keys replay their reports.
    @Test(arguments: StoreContractTests.kinds.filter { $0 != "memory" })
    func concurrentRequestsWritesAllLandAndShareTransactions(kind: String) async throws {
        try await StoreContractTests.with(kind) { store in
            let now = StoreContractTests.now
            let count = 200
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<count {
                    group.addTask {
                        let results = (0..<(n % 3 + 1)).map {
                            ItemResult(index: $0, id: "run-\(n)-\($0)", upstream: "k", outcome: .cancelled, attempts: 1)
                        }
                        let report = StoreContractTests.report("req-\(n)", results)
                        let running = StoreContractTests.record("req-\(n)", at: now + Int64(n), lease: now + 60_000, results: results)
                        var completion: KeyCompletion?
                        if n % 4 == 0 {
                            let claim = KeyClaim(
                                scope: "alice", key: "key-\(n)", fingerprint: "f", recordID: running.recordID, nowMs: now, leaseUntilMs: now + 60_000,
                                expiredBeforeMs: 0)
                            #expect(try await store.claimKey(claim) == .proceed)
                            completion = KeyCompletion(scope: "alice", key: "key-\(n)", fingerprint: "f", recordID: running.recordID, report: report)
                        }
                        try await store.recordStarted(running)
                        try await store.recordFinished(running.completed(with: report, atMs: now + Int64(n) + 5), completing: completion)
                    }
                }
                try await group.waitForAll()
            }
            for n in 0..<count {
                let record = try #require(try await store.record(requestID: "req-\(n)"), "record of req-\(n)")
                #expect(record.state == .completed)
                #expect(record.results?.map(\.id) == (0..<(n % 3 + 1)).map { "run-\(n)-\($0)" })
                if n % 4 == 0 {
                    let again = KeyClaim(
                        scope: "alice", key: "key-\(n)", fingerprint: "f", recordID: "other", nowMs: now, leaseUntilMs: now + 60_000, expiredBeforeMs: 0)
                    guard case .replay(let report, _) = try await store.claimKey(again) else {
                        Issue.record("key-\(n) replays its report")
                        continue
                    }
                    #expect(report.requestID == "req-\(n)")
                }
            }
            let sql = try #require(store as? SQLStore)
            #expect(sql.writes.batchesCommitted > 0, "200 concurrent requests' writes shared no transaction")
            #expect(sql.writes.batchesFallenBack == 0, "a batch failed and was written one by one")
        }
    }
}
