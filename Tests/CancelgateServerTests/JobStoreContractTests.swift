import CancelgateCore
import CancelgateStore
import CancelgateWire
import Foundation
import Testing

/// The `JobStore` contract on SQLite and PostgreSQL (CONTRACT §6): a job is created once per
/// key, claimed by one runner at a time, taken over only once its lease is over, and no item
/// ever gets two results.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct JobStoreContractTests {
    static let kinds = ["sqlite"] + (processTestsEnabled ? ["postgres"] : [])
    static let now: Int64 = 1_800_000_000_000

    static func with(_ kind: String, _ body: @Sendable (any JobStore) async throws -> Void) async throws {
        try await StoreContractTests.with(kind) { store in
            try await body(try #require(store as? any JobStore, "the \(kind) store keeps jobs"))
        }
    }

    /// Entries 0…n-1; `duplicates` maps an index to the earlier one it repeats.
    static func entries(_ count: Int, duplicates: [Int: Int] = [:]) -> [JobEntry] {
        (0..<count).map { index in
            let first = duplicates[index]
            return JobEntry(index: index, id: first.map { "tsk_\($0)" } ?? "tsk_\(index)", upstream: nil, firstIndex: first)
        }
    }

    static func job(_ id: String, total: Int, at ms: Int64 = now, caller: String? = "alice") -> Job {
        Job(jobID: id, state: .queued, caller: caller, reason: "contract", ratePerSecond: 2.5, createdAtMs: ms, total: total)
    }

    static func result(_ entry: JobEntry, _ outcome: Outcome) -> ItemResult {
        ItemResult(index: entry.index, id: entry.id, upstream: "skyvern", outcome: outcome, attempts: 1)
    }

    @Test(arguments: kinds)
    func aKeyCreatesOneJobAndCallersSeeOnlyTheirOwn(kind: String) async throws {
        try await Self.with(kind) { store in
            let key = JobKey(scope: "jobs:alice", key: "k1", fingerprint: "f1")
            let job = Self.job("job-1", total: 3)
            #expect(try await store.createJob(job, entries: Self.entries(3), requestID: "req-1", allowedUpstreams: nil, key: key) == .created(job))
            let again = try await store.createJob(Self.job("job-2", total: 3), entries: Self.entries(3), requestID: "req-2", allowedUpstreams: nil, key: key)
            #expect(again == .replay(job), "the same key and body: the first job")
            var other = key
            other.fingerprint = "f2"
            #expect(try await store.createJob(Self.job("job-3", total: 1), entries: Self.entries(1), requestID: "req-3", allowedUpstreams: nil, key: other) == .mismatch)
            #expect(try await store.job("job-2", visibility: .all) == nil, "a replay creates nothing")
            #expect(try await store.job("job-1", visibility: .caller("bob")) == nil, "another caller's job is not shown")
            #expect(try await store.job("job-1", visibility: .caller("alice"))?.ratePerSecond == 2.5)

            _ = try await store.createJob(Self.job("job-4", total: 1, at: Self.now + 10, caller: "bob"), entries: Self.entries(1), requestID: "r4", allowedUpstreams: nil, key: nil)
            _ = try await store.createJob(Self.job("job-5", total: 1, at: Self.now + 20), entries: Self.entries(1), requestID: "r5", allowedUpstreams: nil, key: nil)
            let first = try await store.jobs(JobQuery(limit: 1, visibility: .caller("alice")))
            #expect(first.jobs.map(\.jobID) == ["job-5"], "newest first")
            let second = try await store.jobs(JobQuery(limit: 1, after: first.next, visibility: .caller("alice")))
            #expect(second.jobs.map(\.jobID) == ["job-1"])
            #expect(second.next == nil)
            #expect(try await store.jobs(JobQuery(state: .running)).jobs.isEmpty)
            #expect(try await store.activeJobCounts() == [.queued: 3, .running: 0])
        }
    }

    @Test(arguments: kinds)
    func oneRunnerAtATimeAndATakeoverGoesOnFromTheCommit(kind: String) async throws {
        try await Self.with(kind) { store in
            let entries = Self.entries(6, duplicates: [4: 1])
            _ = try await store.createJob(Self.job("job-1", total: 6), entries: entries, requestID: "req-1", allowedUpstreams: ["skyvern"], key: nil)
            var a = try #require(try await store.claimJob(owner: "a", nowMs: Self.now, leaseUntilMs: Self.now + 1000))
            #expect(a.job.state == .running && a.job.startedAtMs == Self.now && !a.takenOver && a.inFlight == nil)
            #expect(a.allowedUpstreams == ["skyvern"] && a.requestID == "req-1")
            #expect(try await store.claimJob(owner: "b", nowMs: Self.now + 500, leaseUntilMs: Self.now + 1500) == nil, "the lease holds")

            let chunk = try await store.pendingEntries(jobID: "job-1", from: 0, limit: 3)
            #expect(chunk.map(\.index) == [0, 1, 2])
            #expect(try await store.renewJob(&a, leaseUntilMs: Self.now + 2000, inFlight: 0...2))
            #expect(try await store.commitResults(chunk.map { Self.result($0, .cancelled) }, lease: &a, nextIndex: 3, nowMs: Self.now))
            #expect(a.job.done == 4, "three results and the duplicate of index 1")
            #expect(try await store.pendingEntries(jobID: "job-1", from: 3, limit: 10).map(\.index) == [3, 5], "the duplicate is never sent")

            // A crashes with the next chunk in flight; once its lease is over B takes the job.
            #expect(try await store.renewJob(&a, leaseUntilMs: Self.now + 2000, inFlight: 3...5))
            #expect(try await store.claimJob(owner: "b", nowMs: Self.now + 1999, leaseUntilMs: Self.now + 3000) == nil)
            var b = try #require(try await store.claimJob(owner: "b", nowMs: Self.now + 2001, leaseUntilMs: Self.now + 3000))
            #expect(b.takenOver && b.nextIndex == 3 && b.inFlight == 3...5 && b.job.done == 4)
            #expect(b.job.startedAtMs == Self.now, "started when A started it")
            #expect(try await !store.renewJob(&a, leaseUntilMs: Self.now + 9000, inFlight: nil), "A lost the lease")
            let late = [ItemResult(index: 3, id: "tsk_3", upstream: "skyvern", outcome: .failed, attempts: 1)]
            #expect(try await !store.commitResults(late, lease: &a, nextIndex: 6, nowMs: Self.now), "A's late commit writes nothing")

            let rest = try await store.pendingEntries(jobID: "job-1", from: b.nextIndex, limit: 10)
            #expect(try await store.commitResults(rest.map { Self.result($0, .cancelled) }, lease: &b, nextIndex: 6, nowMs: Self.now))
            // A result is written once: committing index 0 again changes nothing.
            #expect(try await store.commitResults([Self.result(entries[0], .failed)], lease: &b, nextIndex: 6, nowMs: Self.now))
            #expect(b.job.done == 6)
            #expect(try await store.finishJob(b, state: .completed, nowMs: Self.now + 2500))

            let job = try #require(try await store.job("job-1", visibility: .all))
            #expect(job.state == .completed && job.done == 6 && job.finishedAtMs == Self.now + 2500)
            #expect(job.summary == Summary(total: 6, succeeded: 6, failed: 0, outcomes: ["cancelled": 6]))
            let results = try await store.jobResults(jobID: "job-1", outcome: nil, afterIndex: -1, limit: 100)
            #expect(results.map(\.index) == [0, 1, 2, 3, 4, 5])
            #expect(results.map(\.id) == entries.map(\.id))
            #expect(results.allSatisfy { $0.outcome == .cancelled })
            #expect(try await store.jobResults(jobID: "job-1", outcome: nil, afterIndex: 2, limit: 2).map(\.index) == [3, 4])
            #expect(try await store.jobResults(jobID: "job-1", outcome: .failed, afterIndex: -1, limit: 100).isEmpty)
        }
    }

    @Test(arguments: kinds)
    func aCancelIsSeenAtTheNextRenewalAndAHandedBackJobIsQueuedAgain(kind: String) async throws {
        try await Self.with(kind) { store in
            _ = try await store.createJob(Self.job("job-1", total: 2), entries: Self.entries(2), requestID: "req-1", allowedUpstreams: nil, key: nil)
            var a = try #require(try await store.claimJob(owner: "a", nowMs: Self.now, leaseUntilMs: Self.now + 1000))
            try await store.releaseJob(a)
            #expect(try await store.job("job-1", visibility: .all)?.state == .queued)
            a = try #require(try await store.claimJob(owner: "a2", nowMs: Self.now + 1, leaseUntilMs: Self.now + 1000), "claimable at once")
            #expect(try await store.requestJobCancel("job-1", visibility: .caller("bob")) == nil)
            #expect(try await store.requestJobCancel("job-1", visibility: .caller("alice"))?.state == .running)
            #expect(try await store.renewJob(&a, leaseUntilMs: Self.now + 2000, inFlight: nil))
            #expect(a.cancelRequested)
            #expect(try await store.unfinishedEntries(jobID: "job-1", from: 0, limit: 10).map(\.index) == [0, 1])
            #expect(try await store.finishJob(a, state: .cancelled, nowMs: Self.now + 3))
            #expect(try await store.job("job-1", visibility: .all)?.state == .cancelled)
            #expect(try await store.claimJob(owner: "c", nowMs: Self.now + 5000, leaseUntilMs: Self.now + 6000) == nil, "a finished job is never claimed")
        }
    }
}
