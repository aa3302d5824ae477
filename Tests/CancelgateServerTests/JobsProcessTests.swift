import CancelgateFakes
import CancelgateWire
import CurlClient
import Foundation
import Testing

/// A job survives the SIGKILL of the process running it (CONTRACT §6): on SQLite the same
/// gateway restarted, on PostgreSQL another replica, finishes it from what was committed. No
/// item has two results; only items of the chunk in flight reached the provider twice, and only
/// after a status read showed them still running.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: processTestsEnabled))
struct JobsProcessTests {
    /// 30 Meibel runs in chunks of 10; the second chunk's runs hang at the fake.
    static let ids = (0..<30).map { "bex_\(81_000 + $0)" }
    static let inFlight = Set(ids[10..<20])

    static func submit(_ http: GatewayHTTP, _ base: String) async throws -> Job {
        let response = try await http.client.execute(
            CurlRequest(
                method: "POST", url: base + "/v1/jobs", headers: [HTTPHeader("Content-Type", "application/json")],
                body: Data(GatewayHarness.body(ids: ids).utf8)))
        #expect(response.status == 202, "\(String(decoding: response.body, as: UTF8.self))")
        return try JSONDecoder().decode(Job.self, from: response.body)
    }

    /// Polls the job on `base` until it is finished (or 60 s pass).
    static func waitUntilFinished(_ http: GatewayHTTP, _ base: String, _ jobID: String) async throws -> Job {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let response = try? await http.get(base + "/v1/jobs/" + jobID), response.status == 200,
                let job = try? JSONDecoder().decode(Job.self, from: response.body), job.state.isFinished
            {
                return job
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("job \(jobID) did not finish")
        throw CancellationError()
    }

    static func results(_ http: GatewayHTTP, _ base: String, _ jobID: String) async throws -> [ItemResult] {
        let response = try await http.get(base + "/v1/jobs/\(jobID)/results?limit=10000")
        #expect(response.status == 200)
        struct Page: Decodable { let results: [ItemResult] }
        return try JSONDecoder().decode(Page.self, from: response.body).results
    }

    /// Starts the job on `first`, waits until its second chunk hangs at the fake, kills `first`,
    /// releases the fake, and lets `finish` (a restart or another replica) end it; then checks.
    static func killMidJob(
        _ fakes: FakeUpstreams, _ http: GatewayHTTP, first: ServeProcess, finish: () async throws -> ServeProcess
    ) async throws {
        for id in ids { await fakes.state.seed(.meibel, id: id, status: "RUNNING") }
        await fakes.state.setFault(.hang, for: .meibel, ids: inFlight)
        let job = try await submit(http, first.base)
        await fakes.state.waitUntilHeld(1)
        first.signal(SIGKILL)
        _ = try await first.waitForExit()
        _ = await fakes.state.clearFaults()
        await fakes.state.releaseHangs()

        let second = try await finish()
        defer { second.signal(SIGKILL) }
        let finished = try await waitUntilFinished(http, second.base, job.jobID)
        #expect(finished.state == .completed && finished.done == ids.count, "\(finished)")
        let results = try await results(http, second.base, job.jobID)
        #expect(results.map(\.index) == Array(ids.indices), "one result per item")
        #expect(results.map(\.id) == ids)
        let all = await fakes.state.calls(.meibel)
        let calls = all.filter { !$0.isStatusRead }
        for (id, result) in zip(ids, results) {
            let sent = calls.filter { $0.ids == [id] }
            if inFlight.contains(id) {
                // In doubt after the crash: read first (CONTRACT §7), sent again only if still running.
                let reads = all.filter { $0.isStatusRead && $0.ids == [id] }
                #expect(sent.count >= 1 && sent.count <= 2, "\(id) sent \(sent.count) times")
                #expect(!reads.isEmpty, "\(id) was in the chunk in flight, yet its status was not read")
                if sent.count == 2, let read = reads.first {
                    #expect(read.receivedAt < sent[1].receivedAt, "\(id) was sent again before its status was read")
                }
                #expect(result.outcome == .cancelled || (result.outcome == .failed && result.error?.code == .inDoubt), "\(result)")
            } else {
                #expect(sent.count == 1, "\(id) was outside the chunk in flight, yet sent \(sent.count) times")
                #expect(result.outcome == .cancelled, "\(result)")
            }
        }
        #expect(second.log.contains("job taken over"))
        let metrics = PrometheusSamples(String(decoding: try await http.get(second.base + "/metrics").body, as: UTF8.self))
        #expect(metrics.value("cancelgate_job_lease_takeovers_total", [:]) == 1)
    }

    /// The fakes, a routes.json of chunks of 10 on a SQLite store in a directory of its own, and
    /// `start(name)`: a `cancelgate serve` of it, listening.
    static func onSQLite(
        _ body: @Sendable (FakeUpstreams, GatewayHTTP, _ start: @Sendable (String) async throws -> ServeProcess) async throws -> Void
    ) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try await FakesServer.run { fakes, port in
            try Data(fakes.routesJSON(port: port, maxItems: 10).utf8).write(to: URL(fileURLWithPath: dir.file("routes.json")))
            let http = GatewayHTTP(client: try CurlClient())
            defer { http.client.shutdown() }
            try await body(fakes, http) { name in
                let process = try ServeProcess(config: dir.file("routes.json"), directory: dir.path, name: name)
                try await process.waitUntilListening()
                return process
            }
        }
    }

    @Test func sqliteRestartFinishesAJobKilledMidChunk() async throws {
        try await Self.onSQLite { fakes, http, start in
            try await Self.killMidJob(fakes, http, first: try await start("first")) { try await start("restarted") }
        }
    }

    /// SIGTERM while a chunk is at the fake: the process finishes that chunk, commits it, hands
    /// the job back and exits 0 without starting another; restarted, it goes on from there. Nothing
    /// was in doubt, so no run is read and none is sent twice.
    @Test func sigtermHandsTheJobBackAndARestartGoesOnWithoutAnyRunSentTwice() async throws {
        try await Self.onSQLite { fakes, http, start in
            for id in Self.ids { await fakes.state.seed(.meibel, id: id, status: "RUNNING") }
            await fakes.state.setFault(.hang, for: .meibel, ids: Self.inFlight)
            let first = try await start("first")
            let job = try await Self.submit(http, first.base)
            // All 8 (Meibel's default concurrency) held, so that none starts to hang after the release.
            await fakes.state.waitUntilHeld(8)
            first.signal(SIGTERM)
            _ = await fakes.state.clearFaults()
            await fakes.state.releaseHangs()
            #expect(try await first.waitForExit() == 0, "\(first.log)")
            #expect(first.log.contains("job handed back at shutdown"), "\(first.log)")
            let sentBeforeRestart = await fakes.state.calls(.meibel).filter { !$0.isStatusRead }.flatMap(\.ids)
            #expect(Set(sentBeforeRestart) == Set(Self.ids[0..<20]), "the chunk in flight was finished and no later one started")

            let restarted = try await start("restarted")
            defer { restarted.signal(SIGKILL) }
            let finished = try await Self.waitUntilFinished(http, restarted.base, job.jobID)
            #expect(finished.state == .completed && finished.done == Self.ids.count, "\(finished)")
            let results = try await Self.results(http, restarted.base, job.jobID)
            #expect(results.map(\.id) == Self.ids)
            #expect(results.allSatisfy { $0.outcome == .cancelled && $0.attempts == 1 }, "\(results.filter { $0.outcome != .cancelled })")
            let all = await fakes.state.calls(.meibel)
            #expect(all.filter(\.isStatusRead).isEmpty, "a job handed back has nothing in doubt to read")
            #expect(all.flatMap(\.ids).sorted() == Self.ids.sorted(), "each run sent exactly once")
        }
    }

    @Test func postgresAnotherReplicaFinishesAJobKilledMidChunk() async throws {
        try await PostgresCluster.with { cluster in
            let url = try cluster.createDatabase("jobs")
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            try await FakesServer.run { fakes, port in
                let routes = withStore(fakes.routesJSON(port: port, maxItems: 10), #"{"type": "postgres", "url": "\#(url)", "pool_size": 4}"#)
                try Data(routes.utf8).write(to: URL(fileURLWithPath: dir.file("routes.json")))
                let http = GatewayHTTP(client: try CurlClient())
                defer { http.client.shutdown() }
                let a = try ServeProcess(config: dir.file("routes.json"), directory: dir.path, name: "replica-a")
                try await a.waitUntilListening()
                // B starts only after A claimed the job, so that A (not B) is the one killed.
                try await Self.killMidJob(fakes, http, first: a) {
                    let b = try ServeProcess(config: dir.file("routes.json"), directory: dir.path, name: "replica-b")
                    try await b.waitUntilListening()
                    return b
                }
            }
        }
    }
}
