import CancelgateCore
import CancelgateStore
import CancelgateWire
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// The `CancelStore` contract, the same for every implementation: keys (claim, replay, 422,
/// 409, takeover after the lease), records (start, finish, interrupt) and retention.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct StoreContractTests {
    /// Runs `body` on a freshly opened store of `kind` (PostgreSQL: a private cluster).
    static func with(_ kind: String, _ body: @Sendable (any CancelStore) async throws -> Void) async throws {
        let logger = Logger(label: "store-test", factory: { _ in SwiftLogNoOpLogHandler() })
        func open(_ store: String) async throws -> OpenedStore {
            let json = withStore(#"{ "upstreams": { "k": { "provider": "kubiya", "base_url": "https://k.example" } } }"#, store)
            return try await StoreOpener.open(try ConfigLoader.load(data: Data(json.utf8), environment: [:]), logger: logger)
        }
        switch kind {
        case "memory":
            try await body(try await open(#"{"type": "memory"}"#).store)
        case "sqlite":
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            let opened = try await open(#"{"type": "sqlite", "path": "\#(dir.file("contract.db"))"}"#)
            do { try await body(opened.store) } catch {
                await opened.close()
                throw error
            }
            await opened.close()
        default:
            try await PostgresCluster.with { cluster in
                let opened = try await open(#"{"type": "postgres", "url": "\#(try cluster.createDatabase("contract"))"}"#)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for service in opened.services { group.addTask { try await service.run() } }
                    try await opened.prepare(logger)
                    try await body(opened.store)
                    group.cancelAll()
                }
            }
        }
    }

    /// PostgreSQL only where process tests run (a cluster is a dozen processes).
    static let kinds = ["memory", "sqlite"] + (processTestsEnabled ? ["postgres"] : [])

    static func report(_ id: String, _ results: [ItemResult]) -> CancelReport {
        CancelReport(requestID: id, dryRun: false, summary: Summary(results), results: results, plan: nil)
    }

    static func record(_ id: String, at ms: Int64, lease: Int64, results: [ItemResult], caller: String? = "alice") -> CancelRecord {
        CancelRecord(
            recordID: UUID().uuidString, requestID: id, caller: caller, receivedAtMs: ms, state: .running, reason: "contract",
            dryRun: false, idempotencyKey: nil, summary: Summary(results), results: results, leaseUntilMs: lease)
    }

    static let now: Int64 = 1_800_000_000_000

    @Test(arguments: kinds)
    func keysFollowStripesRulesAndALeaseFreesADeadOne(kind: String) async throws {
        try await Self.with(kind) { store in
            let claim = KeyClaim(scope: "alice", key: "k1", fingerprint: "f1", recordID: "r1", nowMs: Self.now, leaseUntilMs: Self.now + 1000, expiredBeforeMs: 0)
            #expect(try await store.claimKey(claim) == .proceed)
            var again = claim
            again.recordID = "r2"
            #expect(try await store.claimKey(again) == .inProgress)
            var other = again
            other.fingerprint = "f2"
            #expect(try await store.claimKey(other) == .mismatch)
            var otherScope = other
            otherScope.scope = "bob"
            #expect(try await store.claimKey(otherScope) == .proceed, "keys never cross callers")

            let results = [ItemResult(index: 0, id: "tsk_1", upstream: "skyvern", outcome: .cancelled, attempts: 1)]
            let record = Self.record("req-1", at: Self.now, lease: Self.now + 1000, results: results).completed(with: Self.report("req-1", results), atMs: Self.now + 5)
            let completion = KeyCompletion(scope: "alice", key: "k1", fingerprint: "f1", recordID: "r1", report: Self.report("req-1", results))
            try await store.recordFinished(record, completing: completion)
            guard case .replay(let replayed, _) = try await store.claimKey(again) else {
                Issue.record("a finished key replays")
                return
            }
            #expect(replayed == Self.report("req-1", results))

            // A running key whose process died: taken over once its lease is over (not before).
            let dying = KeyClaim(scope: "alice", key: "k2", fingerprint: "f1", recordID: "r3", nowMs: Self.now, leaseUntilMs: Self.now + 1000, expiredBeforeMs: 0)
            #expect(try await store.claimKey(dying) == .proceed)
            var retry = dying
            retry.recordID = "r4"
            retry.nowMs = Self.now + 999
            #expect(try await store.claimKey(retry) == .inProgress)
            if kind != "memory" {
                retry.nowMs = Self.now + 1001
                retry.leaseUntilMs = Self.now + 3000
                #expect(try await store.claimKey(retry) == .proceed, "the lease is over")
                var late = retry
                late.recordID = "r5"
                #expect(try await store.claimKey(late) == .inProgress, "the new owner holds it")
            }
            // A released key is free again.
            try await store.releaseKey(scope: "bob", key: "k1", recordID: "r2")
            #expect(try await store.claimKey(otherScope) == .proceed)
        }
    }

    @Test(arguments: kinds)
    func recordsStartFinishAndInterrupt(kind: String) async throws {
        try await Self.with(kind) { store in
            let provisional = [
                ItemResult(index: 0, id: "tsk_1", upstream: "skyvern", outcome: .failed, retryable: true, error: ItemError(.interrupted, "stopped")),
                ItemResult(index: 1, id: "x", outcome: .unroutable, error: ItemError(.unroutable, "no route")),
            ]
            let alive = Self.record("alive", at: Self.now, lease: Self.now + 10_000, results: provisional)
            let dead = Self.record("dead", at: Self.now + 1, lease: Self.now + 100, results: provisional)
            try await store.recordStarted(alive)
            try await store.recordStarted(dead)
            try await store.recordStarted(dead)
            #expect(try await store.record(requestID: "dead")?.results == provisional, "a repeated start changes nothing")
            #expect(try await store.interruptRunning(leaseEndedBeforeMs: Self.now + 200, nowMs: Self.now + 200) == ["dead"])
            let interrupted = try #require(try await store.record(requestID: "dead"))
            #expect(interrupted.state == .interrupted && interrupted.finishedAtMs == Self.now + 200 && interrupted.results == provisional)
            #expect(try await store.record(requestID: "alive")?.state == .running)

            // A start that lands after its finish (a retried write) does not undo it.
            let answered = [ItemResult(index: 0, id: "tsk_1", upstream: "skyvern", outcome: .cancelled, attempts: 1), provisional[1]]
            let finished = alive.completed(with: Self.report("alive", answered), atMs: Self.now + 50)
            try await store.recordFinished(finished, completing: nil)
            try await store.recordFinished(finished, completing: nil)
            try await store.recordStarted(alive)
            let read = try #require(try await store.record(requestID: "alive"))
            #expect(read.state == .completed && read.results == answered && read.summary == Summary(answered))
        }
    }

    @Test(arguments: kinds)
    func retentionDeletesWhatIsOlder(kind: String) async throws {
        try await Self.with(kind) { store in
            let results = [ItemResult(index: 0, id: "tsk_9", upstream: "skyvern", outcome: .cancelled, attempts: 1)]
            let old = Self.record("old", at: Self.now - 100_000, lease: 0, results: results).completed(with: Self.report("old", results), atMs: Self.now - 99_000)
            let new = Self.record("new", at: Self.now, lease: 0, results: results).completed(with: Self.report("new", results), atMs: Self.now + 10)
            let running = Self.record("running", at: Self.now - 100_000, lease: Self.now + 1_000_000, results: results)
            for record in [old, new] { try await store.recordFinished(record, completing: nil) }
            try await store.recordStarted(running)
            #expect(try await store.deleteExpired(beforeMs: Self.now - 50_000) == 1)
            #expect(try await store.record(requestID: "old") == nil)
            #expect(try await store.record(requestID: "new") != nil)
            #expect(try await store.record(requestID: "running") != nil, "a running record is never deleted")
            #expect(try await store.records(RecordQuery(runID: "tsk_9")).records.map(\.requestID).sorted() == ["new", "running"])
        }
    }
}
