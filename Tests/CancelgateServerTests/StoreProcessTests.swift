import CancelgateFakes
import CancelgateWire
import CurlClient
import Foundation
import Testing

/// The store with real `cancelgate serve` processes: SQLite across a restart and a SIGKILL,
/// PostgreSQL shared by replicas. Each test starts what it needs on 127.0.0.1 and stops it.
/// Skipped under the thread sanitizer (`.ci/run` sets CANCELGATE_SKIP_PROCESS_TESTS there): they
/// run in the plain test step, and sanitized serve processes only load the machine that the
/// in-process timing tests share.
let processTestsEnabled = ProcessInfo.processInfo.environment["CANCELGATE_SKIP_PROCESS_TESTS"] == nil

@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: processTestsEnabled))
struct StoreProcessTests {
    static let body = #"{"ids": ["tsk_5001", "bex_5002", "5003", "not a run"], "reason": "store test"}"#

    // MARK: SQLite

    /// No `store` in routes.json: `cancelgate.db` appears in the working directory, and a record
    /// and a key outlive the process.
    @Test func sqliteRecordAndKeySurviveARestart() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try await FakesServer.run { fakes, port in
            try Data(fakes.routesJSON(port: port).utf8).write(to: URL(fileURLWithPath: dir.file("routes.json")))
            let http = GatewayHTTP(client: try CurlClient())
            defer { http.client.shutdown() }

            let first = try ServeProcess(config: dir.file("routes.json"), directory: dir.path)
            try await first.waitUntilListening()
            #expect(FileManager.default.fileExists(atPath: dir.file("cancelgate.db")), "the default store file is in the working directory")
            let answer = try await http.cancel(first.base, body: Self.body, key: "restart-1", requestID: "req-restart-1")
            #expect(answer.status == 200)
            let report = try JSONDecoder().decode(CancelReport.self, from: answer.body)
            await first.stop()
            let callsBefore = await fakes.state.calls(.skyvern).count

            let second = try ServeProcess(config: dir.file("routes.json"), directory: dir.path)
            try await second.waitUntilListening()
            defer { second.signal(SIGKILL) }
            let record = try #require(try await http.record(second.base, "req-restart-1"))
            #expect(record.state == .completed)
            #expect(record.reason == "store test")
            #expect(record.results == report.results)
            let replay = try await http.cancel(second.base, body: Self.body, key: "restart-1")
            #expect(replay.status == 200)
            #expect(replay.header("Idempotent-Replayed") == "true")
            #expect(try JSONDecoder().decode(CancelReport.self, from: replay.body) == report)
            #expect(await fakes.state.calls(.skyvern).count == callsBefore, "a replay calls no upstream")
            await second.stop()
        }
    }

    /// SIGKILL while a request waits on an upstream: at restart its record is `interrupted`
    /// (the items that were being sent `failed`, `interrupted`, retryable; the invalid one as it
    /// was), and its key is free at once, so the retry runs.
    @Test func sqliteSIGKILLMidRequestEndsInterruptedAndFreesTheKey() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try await FakesServer.run { fakes, port in
            try Data(fakes.routesJSON(port: port).utf8).write(to: URL(fileURLWithPath: dir.file("routes.json")))
            let http = GatewayHTTP(client: try CurlClient())
            defer { http.client.shutdown() }
            await fakes.state.setFault(.hang, for: .meibel)
            let first = try ServeProcess(config: dir.file("routes.json"), directory: dir.path)
            try await first.waitUntilListening()
            let pending = Task { try? await http.cancel(first.base, body: Self.body, key: "killed-1", requestID: "req-killed-1") }
            await fakes.state.waitUntilHeld(1)
            first.signal(SIGKILL)
            _ = try await first.waitForExit()
            _ = await pending.value
            _ = await fakes.state.clearFaults()
            await fakes.state.releaseHangs()

            let second = try ServeProcess(config: dir.file("routes.json"), directory: dir.path)
            try await second.waitUntilListening()
            defer { second.signal(SIGKILL) }
            let record = try #require(try await http.record(second.base, "req-killed-1"))
            #expect(record.state == .interrupted)
            let results = try #require(record.results)
            #expect(results.count == 4)
            for result in results.prefix(3) {
                #expect(result.outcome == .failed && result.error?.code == .interrupted && result.retryable, "\(result)")
            }
            #expect(results[3].outcome == .unroutable || results[3].outcome == .invalid)
            let retry = try await http.cancel(second.base, body: Self.body, key: "killed-1")
            #expect(retry.status == 200, "\(String(decoding: retry.body, as: UTF8.self))")
            #expect(retry.header("Idempotent-Replayed") == nil)
            await second.stop()
        }
    }

    /// Two processes on one SQLite file: the second is refused with a message that says why.
    @Test func aSecondProcessOnOneSQLiteFileIsRefused() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try await FakesServer.run { fakes, port in
            try Data(fakes.routesJSON(port: port).utf8).write(to: URL(fileURLWithPath: dir.file("routes.json")))
            let first = try ServeProcess(config: dir.file("routes.json"), directory: dir.path)
            try await first.waitUntilListening()
            defer { first.signal(SIGKILL) }
            let second = try ServeProcess(config: dir.file("routes.json"), directory: dir.path, name: "second")
            #expect(try await second.waitForExit() == 1)
            #expect(second.log.contains("cannot open the store sqlite cancelgate.db"))
            #expect(second.log.contains("another cancelgate process uses this file"))
            await first.stop()
        }
    }
}

/// PostgreSQL shared by replicas: real `cancelgate serve` processes on one database.
@Suite(.serialized, .timeLimit(.minutes(5)), .enabled(if: processTestsEnabled))
struct PostgresReplicaTests {
    static let body = StoreProcessTests.body

    /// routes.json for the fakes at `port` with the PostgreSQL store at `url`: short lease and
    /// sweep so a dead replica's request is noticed within a second or two.
    static func routes(_ fakes: FakeUpstreams, port: Int, url: String, requestTimeoutMs: Int = 3000) -> String {
        withStore(
            fakes.routesJSON(port: port, requestTimeoutMs: requestTimeoutMs),
            #"{"type": "postgres", "url": "\#(url)", "pool_size": 4, "sweep_interval_ms": 200, "lease_grace_ms": 500}"#)
    }

    /// What a replica test has: the cluster, the fakes, an HTTP client and `count` gateways on
    /// one fresh database (`database`), each listening.
    struct Replicas {
        let cluster: PostgresCluster
        let fakes: FakeUpstreams
        let http: GatewayHTTP
        let gateways: [ServeProcess]
    }

    static func withReplicas(
        _ count: Int, database: String, requestTimeoutMs: Int = 3000, _ body: @Sendable (Replicas) async throws -> Void
    ) async throws {
        try await PostgresCluster.with { cluster in
            let url = try cluster.createDatabase(database)
            let dir = try TemporaryDirectory()
            defer { dir.remove() }
            try await FakesServer.run { fakes, port in
                try Data(Self.routes(fakes, port: port, url: url, requestTimeoutMs: requestTimeoutMs).utf8).write(to: URL(fileURLWithPath: dir.file("routes.json")))
                let http = GatewayHTTP(client: try CurlClient())
                defer { http.client.shutdown() }
                let gateways = try (0..<count).map { try ServeProcess(config: dir.file("routes.json"), directory: dir.path, name: "replica-\($0)") }
                defer { for gateway in gateways { gateway.signal(SIGKILL) } }
                for gateway in gateways { try await gateway.waitUntilListening() }
                try await body(Replicas(cluster: cluster, fakes: fakes, http: http, gateways: gateways))
                for gateway in gateways where gateway.process.isRunning { await gateway.stop() }
            }
        }
    }

    @Test func twoReplicasShareKeysAndRecords() async throws {
        // A deadline long enough that the request held on A is still running, on a loaded host,
        // when B is asked (it is released, not timed out).
        try await Self.withReplicas(2, database: "replicas", requestTimeoutMs: 15_000) { replicas in
            let (fakes, http, a, b) = (replicas.fakes, replicas.http, replicas.gateways[0], replicas.gateways[1])

                // A key used on one replica replays on the other.
                let first = try await http.cancel(a.base, body: Self.body, key: "shared-1", requestID: "req-shared-1")
                #expect(first.status == 200)
                let calls = await fakes.state.calls(.skyvern).count
                let replay = try await http.cancel(b.base, body: Self.body, key: "shared-1")
                #expect(replay.status == 200)
                #expect(replay.header("Idempotent-Replayed") == "true")
                #expect(replay.body == first.body)
                #expect(await fakes.state.calls(.skyvern).count == calls)
                // Another body with that key: 422 on the other replica too.
                let other = try await http.cancel(b.base, body: #"{"ids": ["tsk_5009"]}"#, key: "shared-1")
                #expect(other.status == 422)
                // Each replica answers the records API for the other's requests.
                let onB = try #require(try await http.record(b.base, "req-shared-1"))
                #expect(onB.state == .completed && onB.results?.count == 4)
                let onA = try #require(try await http.record(a.base, "req-shared-1"))
                #expect(onA == onB)

                // A request still running on A: 409 on B.
                await fakes.state.setFault(.hang, for: .meibel)
                let pending = Task { try await http.cancel(a.base, body: Self.body, key: "shared-2", requestID: "req-shared-2") }
                await fakes.state.waitUntilHeld(1)
                let busy = try await http.cancel(b.base, body: Self.body, key: "shared-2")
                #expect(busy.status == 409)
                #expect(try #require(try await http.record(b.base, "req-shared-2")).state == .running)
                _ = await fakes.state.clearFaults()
                await fakes.state.releaseHangs()
                #expect(try await pending.value.status == 200)
                let after = try await http.cancel(b.base, body: Self.body, key: "shared-2")
                #expect(after.header("Idempotent-Replayed") == "true")
        }
    }

    /// SIGKILL of the replica running a request: the other marks its record interrupted once the
    /// lease is over, 409s the key until then, and runs the retry after.
    @Test func aKilledReplicasRequestEndsInterruptedAndItsKeyIsReleased() async throws {
        // A lease long enough (8 s + 0.5 s) that a loaded host still asks B before it ends.
        try await Self.withReplicas(2, database: "killed", requestTimeoutMs: 8000) { replicas in
            let (fakes, http, a, b) = (replicas.fakes, replicas.http, replicas.gateways[0], replicas.gateways[1])
                await fakes.state.setFault(.hang, for: .meibel)
                let pending = Task { try? await http.cancel(a.base, body: Self.body, key: "dies-1", requestID: "req-dies-1") }
                await fakes.state.waitUntilHeld(1)
                a.signal(SIGKILL)
                _ = try await a.waitForExit()
                _ = await pending.value
                _ = await fakes.state.clearFaults()
                await fakes.state.releaseHangs()

                // The lease (request_timeout_ms 8000 + lease_grace_ms 500) still holds the key.
                let early = try await http.cancel(b.base, body: Self.body, key: "dies-1")
                #expect(early.status == 409)
                let record = try await http.waitForRecord(b.base, "req-dies-1") { $0.state == .interrupted }
                let results = try #require(record.results)
                #expect(results.prefix(3).allSatisfy { $0.outcome == .failed && $0.error?.code == .interrupted && $0.retryable }, "\(results)")
                let retry = try await http.cancel(b.base, body: Self.body, key: "dies-1", requestID: "req-dies-2")
                #expect(retry.status == 200, "\(String(decoding: retry.body, as: UTF8.self))")
                #expect(retry.header("Idempotent-Replayed") == nil)
                let report = try JSONDecoder().decode(CancelReport.self, from: retry.body)
                #expect(report.results.prefix(3).allSatisfy { $0.outcome.isSuccess || $0.outcome == .alreadyTerminal }, "\(report.results)")
                #expect(b.log.contains("marked interrupted"))
        }
    }

    /// Three replicas started at once on an empty database: all serve, one applied the schema.
    @Test func threeReplicasStartingAtOnceMigrateOnce() async throws {
        try await Self.withReplicas(3, database: "migrate") { replicas in
            let versions = try replicas.cluster.scalar("migrate", "SELECT count(*) FROM schema_migrations")
            #expect(versions == "3")
            let applied = replicas.gateways.filter { $0.log.contains(#""store.migrations_applied":"1,2,3""#) }
            #expect(applied.count == 1, "exactly one replica applied the migration")
        }
    }

    /// The database stopped while serving: every item still answered, errors counted; once it
    /// is back, the records are written.
    @Test func aStoreOutageHidesNoCancelAndRecordsLandWhenItIsBack() async throws {
        try await Self.withReplicas(1, database: "outage") { replicas in
            let (cluster, http, gateway) = (replicas.cluster, replicas.http, replicas.gateways[0])
                try cluster.stopServer()

                let answer = try await http.cancel(gateway.base, body: Self.body, requestID: "req-outage-1")
                #expect(answer.status == 200)
                let report = try JSONDecoder().decode(CancelReport.self, from: answer.body)
                report.checkShape(expectedCount: 4)
                #expect(report.results.prefix(3).allSatisfy { $0.outcome.isSuccess }, "\(report.results)")
                let keyed = try await http.cancel(gateway.base, body: #"{"ids": ["tsk_5101"]}"#, key: "outage-key", requestID: "req-outage-2")
                #expect(keyed.status == 200, "a keyed request is still served, its key held by this process")
                let metrics = String(decoding: try await http.get(gateway.base + "/metrics").body, as: UTF8.self)
                #expect(metrics.contains("cancelgate_store_errors_total"))
                let unavailable = try await http.get(gateway.base + "/v1/cancels/req-outage-1")
                #expect(unavailable.status == 503)

                try cluster.startServer()
                let record = try await http.waitForRecord(gateway.base, "req-outage-1") { $0.state == .completed }
                #expect(record.results == report.results)
                _ = try await http.waitForRecord(gateway.base, "req-outage-2") { $0.state == .completed }
        }
    }

    /// A database that cannot be reached stops `serve` with a message that names the store but
    /// never its password.
    @Test func anUnreachableDatabaseStopsServeWithoutThePassword() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try await FakesServer.run { fakes, port in
            let closed = try PostgresCluster.freePort()
            let routes = withStore(
                fakes.routesJSON(port: port), #"{"type": "postgres", "url": "${CANCELGATE_DATABASE_URL}"}"#)
            try Data(routes.utf8).write(to: URL(fileURLWithPath: dir.file("routes.json")))
            let gateway = try ServeProcess(
                config: dir.file("routes.json"), directory: dir.path,
                environment: ["CANCELGATE_DATABASE_URL": "postgres://cg:hunter2-secret@127.0.0.1:\(closed)/cg?sslmode=disable"])
            defer { gateway.signal(SIGKILL) }
            let status = try await gateway.waitForExit(timeout: .seconds(60))
            #expect(status != 0)
            #expect(gateway.log.contains("cannot open the store postgres postgres://cg@127.0.0.1:\(closed)/cg"), "\(gateway.log)")
            #expect(!gateway.log.contains("hunter2"))
        }
    }
}
