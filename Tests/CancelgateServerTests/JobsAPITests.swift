import CancelgateCore
import CancelgateFakes
import CancelgateWire
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// `/v1/jobs` (CONTRACT §6) on the embedded SQLite store with the fakes behind the gateway: a
/// long list run in chunks, paged results, refusals, keys and stopping a job.
@Suite(.timeLimit(.minutes(3)))
struct JobsAPITests {
    static func run(
        maxItems: Int = 1000, serverKeys: String = "", concurrency: Int? = nil, requestTimeoutMs: Int = 10_000,
        clients: [(name: String, token: String, upstreams: [String])] = [],
        seed: (FakeState) async -> Void = { _ in }, _ body: @Sendable (GatewayHarness) async throws -> Void
    ) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var settings = GatewayHarness.Settings()
        settings.autoCreate = true
        settings.maxItems = maxItems
        settings.clients = clients
        settings.concurrency = concurrency
        settings.requestTimeoutMs = requestTimeoutMs
        settings.logLevel = .info
        settings.serverKeys = serverKeys
        settings.store = #"{"type": "sqlite", "path": "\#(dir.file("jobs.db"))", "sweep_interval_ms": 200}"#
        try await GatewayHarness.run(settings, seed: seed, body)
    }

    static func submit(_ h: GatewayHarness, _ body: String, query: String = "", headers: HTTPFields = [:]) async throws -> TestResponse {
        try await h.post(body, path: "/v1/jobs", query: query, headers: headers)
    }

    static func get(_ h: GatewayHarness, _ uri: String, token: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await h.gateway.execute(uri: uri, method: .get, headers: headers, body: nil)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
        try JSONDecoder().decode(type, from: Data(response.body.readableBytesView))
    }

    struct ResultPage: Decodable {
        let results: [ItemResult]
        let next_cursor: String?
    }

    /// Polls the job until it is finished; `done` must never go down on the way.
    static func waitUntilFinished(_ h: GatewayHarness, _ jobID: String) async throws -> Job {
        var done = 0
        while true {
            let job = try decode(Job.self, try await get(h, "/v1/jobs/\(jobID)"))
            #expect(job.done >= done, "done went from \(done) to \(job.done)")
            done = job.done
            if job.state.isFinished { return job }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Every result, page by page (`limit` a page).
    static func allResults(_ h: GatewayHarness, _ jobID: String, limit: Int, outcome: String? = nil) async throws -> [ItemResult] {
        var results: [ItemResult] = []
        var cursor: String?
        repeat {
            var uri = "/v1/jobs/\(jobID)/results?limit=\(limit)"
            if let outcome { uri += "&outcome=\(outcome)" }
            if let cursor { uri += "&cursor=\(cursor)" }
            let page = try decode(ResultPage.self, try await get(h, uri))
            #expect(page.results.count <= limit)
            results += page.results
            cursor = page.next_cursor
        } while cursor != nil
        return results
    }

    @Test func aLongMixedListEndsWithOneResultPerItemInOrderAndEachRunSentOnce() async throws {
        var ids: [String] = []
        var expected: [Outcome] = []
        let kubiya = (0..<400).map { _ in TestIDs.uuid() }
        let meibel = (0..<300).map { _ in TestIDs.meibel() }
        for i in 0..<400 {
            ids.append(kubiya[i]); expected.append(.cancelled)
            if i < 300 { ids.append(meibel[i]); expected.append(.cancelled) }
            if i % 3 == 0 { ids.append("tsk_\(9000 + i)"); expected.append(.cancelled) }
            if i % 5 == 0 { ids.append("\(700_000 + i)"); expected.append(.cancelRequested) }
            if i % 7 == 0 { ids.append("job-\(i)"); expected.append(.unroutable) }
            // A duplicate whose first occurrence is in an earlier chunk (max_items is 100).
            if i % 11 == 10 { ids.append(kubiya[i / 4]); expected.append(.cancelled) }
            if i % 13 == 0 { ids.append(meibel[i / 2]); expected.append(.cancelled) }
        }
        let (allIDs, allExpected) = (ids, expected)
        try await Self.run(maxItems: 100, seed: { state in
            for id in kubiya { await state.seed(.kubiya, id: id, status: "running") }
            for id in meibel { await state.seed(.meibel, id: id, status: "RUNNING") }
        }) { h in
            let response = try await Self.submit(h, GatewayHarness.body(ids: allIDs), headers: [HTTPField.Name("X-Request-ID")!: "job-req-1"])
            #expect(response.status == .accepted, "\(String(buffer: response.body))")
            let job = try Self.decode(Job.self, response)
            #expect(response.headers[.location] == "/v1/jobs/\(job.jobID)")
            #expect(job.total == allIDs.count && job.state == .queued)
            let finished = try await Self.waitUntilFinished(h, job.jobID)
            #expect(finished.state == .completed && finished.done == allIDs.count && finished.finishedAtMs != nil)
            #expect(finished.summary.total == allIDs.count)
            let results = try await Self.allResults(h, job.jobID, limit: 250)
            #expect(results.map(\.index) == Array(allIDs.indices), "every item once, in order")
            #expect(results.map(\.id) == allIDs)
            #expect(results.map(\.outcome) == allExpected)
            // Each distinct run went out once, whichever chunk its duplicates fell in.
            for provider in [FakeProvider.kubiya, .meibel] {
                let sent = await h.cancelCalls(provider).flatMap(\.ids).map { $0.lowercased() }
                #expect(Set(sent).count == sent.count, "\(provider) got an ID twice")
            }
            #expect(Set(await h.cancelCalls(.kubiya).flatMap(\.ids)) == Set(kubiya))
            let unroutable = try await Self.allResults(h, job.jobID, limit: 1000, outcome: "unroutable")
            #expect(unroutable.count == allExpected.count { $0 == .unroutable })
            let listed = try Self.decode(JobsList.self, try await Self.get(h, "/v1/jobs?state=completed"))
            #expect(listed.jobs.map(\.jobID) == [job.jobID])
            // Metrics: each distinct run sent counts once as done; every chunk's store calls are timed.
            let samples = PrometheusSamples(try await h.scrape())
            #expect(samples.value("cancelgate_job_items_done_total", ["upstream": "kubiya"]) == 400)
            #expect(samples.value("cancelgate_job_items_done_total", ["upstream": "meibel"]) == 300)
            let commits = samples.value("cancelgate_job_store_duration_seconds_count", ["operation": "commit"]) ?? 0
            #expect(commits >= Double((Set(allIDs).count + 99) / 100), "a commit per chunk of 100 entries (duplicates are in no chunk)")
            #expect(samples.value("cancelgate_job_store_duration_seconds_count", ["operation": "mark"]) == commits)
        }
    }

    struct JobsList: Decodable {
        let jobs: [Job]
        let next_cursor: String?
    }

    @Test func refusalsAreSmallProblemsAndCreateNothing() async throws {
        try await Self.run(serverKeys: #""max_job_items": 5, "max_job_body_bytes": 2048"#) { h in
            let dry = try await Self.submit(h, #"{"ids": ["tsk_1"]}"#, query: "?dry_run=true")
            #expect(dry.status == .unprocessableContent)
            #expect(String(buffer: dry.body).contains("a job cannot be a dry run"))
            let many = try await Self.submit(h, GatewayHarness.body(ids: (0..<6).map { "tsk_\($0)" }))
            #expect(many.status == .unprocessableContent)
            #expect(String(buffer: many.body).contains("at most 5 per job"))
            let big = try await Self.submit(h, GatewayHarness.body(ids: [String(repeating: "x", count: 3000)]))
            #expect(big.status == .contentTooLarge)
            for rate in ["0", "-1", "100001", #""fast""#] {
                let bad = try await Self.submit(h, #"{"ids": ["tsk_1"], "rate_per_second": \#(rate)}"#)
                #expect(bad.status == .unprocessableContent, "rate \(rate)")
                #expect(String(buffer: bad.body).contains("/rate_per_second"))
            }
            #expect(try await Self.get(h, "/v1/jobs/nope").status == .notFound)
            #expect(try await h.post("", path: "/v1/jobs/nope/cancel").status == .notFound)
            #expect(try await Self.get(h, "/v1/jobs?limit=0").status == .unprocessableContent)
            #expect(try await Self.get(h, "/v1/jobs?state=lost").status == .unprocessableContent)
            let listed = try Self.decode(JobsList.self, try await Self.get(h, "/v1/jobs"))
            #expect(listed.jobs.isEmpty, "no refused request created a job")

            let ok = try Self.decode(Job.self, try await Self.submit(h, #"{"ids": ["tsk_1"], "rate_per_second": 2.5}"#))
            #expect(ok.ratePerSecond == 2.5)
            #expect(try await Self.get(h, "/v1/jobs/\(ok.jobID)/results?cursor=zzz").status == .unprocessableContent)
            #expect(try await Self.get(h, "/v1/jobs/\(ok.jobID)/results?limit=10001").status == .unprocessableContent)
            #expect(try await Self.get(h, "/v1/jobs/\(ok.jobID)/results?outcome=gone").status == .unprocessableContent)
        }
    }

    @Test func aKeyReplaysItsJobAndRefusesAnotherBody() async throws {
        try await Self.run { h in
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "job-key-1"]
            let first = try await Self.submit(h, #"{"ids": ["tsk_1", "tsk_2"]}"#, headers: key)
            let again = try await Self.submit(h, #"{"ids": ["tsk_1", "tsk_2"]}"#, headers: key)
            #expect(first.status == .accepted && again.status == .accepted)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try Self.decode(Job.self, first).jobID == Self.decode(Job.self, again).jobID)
            let other = try await Self.submit(h, #"{"ids": ["tsk_3"]}"#, headers: key)
            #expect(other.status == .unprocessableContent)
            let job = try await Self.waitUntilFinished(h, try Self.decode(Job.self, first).jobID)
            #expect(job.state == .completed)
            #expect(await h.cancelCalls(.skyvern).flatMap(\.ids).sorted() == ["tsk_1", "tsk_2"], "one job, sent once")
        }
    }

    @Test func anotherCallersJobIsNotFound() async throws {
        let clients = [(name: "alice", token: "alice-token", upstreams: ["kubiya", "skyvern", "meibel", "c1"]), (name: "bob", token: "bob-token", upstreams: ["skyvern"])]
        try await Self.run(clients: clients) { h in
            let alice: HTTPFields = [.authorization: "Bearer alice-token"]
            let job = try Self.decode(Job.self, try await Self.submit(h, #"{"ids": ["tsk_1"]}"#, headers: alice))
            #expect(job.caller == "alice")
            #expect(try await Self.get(h, "/v1/jobs/\(job.jobID)", token: "bob-token").status == .notFound)
            #expect(try await Self.get(h, "/v1/jobs/\(job.jobID)/results", token: "bob-token").status == .notFound)
            #expect(try await h.post("", path: "/v1/jobs/\(job.jobID)/cancel", headers: [.authorization: "Bearer bob-token"]).status == .notFound)
            #expect(try Self.decode(JobsList.self, try await Self.get(h, "/v1/jobs", token: "bob-token")).jobs.isEmpty)
            #expect(try await Self.get(h, "/v1/jobs/\(job.jobID)", token: "alice-token").status == .ok)
        }
    }

    /// The first chunk hangs at the fake; the job is stopped; the hang is released: that
    /// chunk's items end as the upstream answered, every later one `job_cancelled` and unsent.
    @Test func aStoppedJobsUnsentItemsAreJobCancelledAndNeverSent() async throws {
        let ids = (0..<30).map { "bex_\(5000 + $0)" }
        try await Self.run(maxItems: 10, seed: { state in
            for id in ids { await state.seed(.meibel, id: id, status: "RUNNING") }
            await state.setFault(.hang, for: .meibel)
        }) { h in
            let job = try Self.decode(Job.self, try await Self.submit(h, GatewayHarness.body(ids: ids)))
            await h.fakes.state.waitUntilHeld(1)
            let stopped = try await h.post("", path: "/v1/jobs/\(job.jobID)/cancel")
            #expect(stopped.status == .accepted)
            _ = await h.fakes.state.clearFaults()
            _ = await h.fakes.state.releaseHangs()
            let finished = try await Self.waitUntilFinished(h, job.jobID)
            #expect(finished.state == .cancelled && finished.done == 30)
            let results = try await Self.allResults(h, job.jobID, limit: 1000)
            #expect(results.map(\.index) == Array(0..<30))
            let sent = Set(await h.cancelCalls(.meibel).flatMap(\.ids))
            for result in results where result.error?.code == .jobCancelled {
                #expect(result.outcome == .failed && result.retryable && result.attempts == 0)
                #expect(!sent.contains(result.id), "\(result.id) was reported never sent")
            }
            #expect(results.filter { $0.error?.code == .jobCancelled }.count >= 20, "the chunks after the first were not sent")
        }
    }

    /// A job of 400 Meibel runs at 20 ms each, 4 at a time: a synchronous cancel sent while it
    /// runs is answered while the job is still running, not after it (the job's calls wait
    /// their turn at the same per-upstream limit, at most `concurrency` of them queued ahead).
    @Test func aSynchronousCancelIsAnsweredWhileAJobRuns() async throws {
        let ids = (0..<400).map { "bex_\(70_000 + $0)" }
        // The chunk (all 400, 2 s on an idle host) must fit its request deadline on a loaded one.
        try await Self.run(concurrency: 4, requestTimeoutMs: 60_000, seed: { state in
            for id in ids { await state.seed(.meibel, id: id, status: "RUNNING") }
            await state.setLatency(.milliseconds(20), for: .meibel)
        }) { h in
            let job = try Self.decode(Job.self, try await Self.submit(h, GatewayHarness.body(ids: ids)))
            while try Self.decode(Job.self, try await Self.get(h, "/v1/jobs/\(job.jobID)")).state == .queued {
                try await Task.sleep(for: .milliseconds(10))
            }
            let report = try await h.cancel(ids: ["bex_79999", "tsk_79999"])
            #expect(report.results.map(\.outcome) == [.cancelled, .cancelled])
            let now = try Self.decode(Job.self, try await Self.get(h, "/v1/jobs/\(job.jobID)"))
            #expect(now.state == .running && now.done < ids.count, "the synchronous cancel was answered while the job ran (\(now.done)/\(ids.count) done)")
            let finished = try await Self.waitUntilFinished(h, job.jobID)
            #expect(finished.summary.outcomes == ["cancelled": ids.count])
        }
    }

    /// A chunk whose calls take longer than the request deadline (60 one-by-one Meibel calls of
    /// 100 ms on one slot, a 4 s deadline): calls stop starting halfway, those in flight finish,
    /// and what was not sent is queued again, so no item ends `deadline_exceeded` or in doubt
    /// and each run is sent once. (The last call of a chunk has 2 s for its 100 ms: room for a
    /// loaded machine; with 2 s for 50 ms one in a full-suite run did not make it.)
    @Test func aChunkLongerThanItsDeadlineIsSentInPartsNotCutOff() async throws {
        let ids = (0..<60).map { "bex_\(60_000 + $0)" }
        try await Self.run(concurrency: 1, requestTimeoutMs: 4_000, seed: { state in
            for id in ids { await state.seed(.meibel, id: id, status: "RUNNING") }
            await state.setLatency(.milliseconds(100), for: .meibel)
        }) { h in
            let job = try Self.decode(Job.self, try await Self.submit(h, GatewayHarness.body(ids: ids)))
            let finished = try await Self.waitUntilFinished(h, job.jobID)
            let results = try await Self.allResults(h, job.jobID, limit: 100)
            #expect(finished.summary.outcomes == ["cancelled": ids.count], "\(results.filter { $0.outcome != .cancelled }.prefix(3))")
            #expect(results.map(\.id) == ids)
            let sent = await h.cancelCalls(.meibel).flatMap(\.ids)
            #expect(sent.sorted() == ids.sorted(), "each run sent once")
        }
    }

    /// `rate_per_second` 20 over 30 Meibel runs (one call each), measured at the fake: the last
    /// call arrives at least 29 / 20 s after the job was submitted. A lower bound only: a slow
    /// host delays calls, never hastens them (per-second counts are not asserted, since a
    /// stalled host releases its waiting calls together).
    @Test func rateHoldsAtTheFake() async throws {
        let ids = (0..<30).map { "bex_\(90_000 + $0)" }
        try await Self.run(concurrency: 8) { h in
            let submitted = ContinuousClock.now
            let job = try Self.decode(Job.self, try await Self.submit(h, #"{"ids": \#(Self.jsonArray(ids)), "rate_per_second": 20}"#))
            let finished = try await Self.waitUntilFinished(h, job.jobID)
            #expect(finished.summary.outcomes == ["cancelled": ids.count])
            let arrivals = await h.cancelCalls(.meibel).map(\.receivedAt).sorted()
            #expect(arrivals.count == ids.count)
            let spread = try #require(arrivals.last) - submitted
            #expect(spread >= .milliseconds(29 * 1000 / 20), "30 calls within \(spread) of the submission at 20 per second")
        }
    }

    static func jsonArray(_ ids: [String]) -> String {
        "[" + ids.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }
}
