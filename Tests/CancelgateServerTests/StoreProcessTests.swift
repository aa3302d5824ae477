import CancelgateFakes
import CancelgateWire
import CurlClient
import Foundation
import Testing

/// The store with real `cancelgate serve` processes: SQLite across a restart and a SIGKILL,
/// PostgreSQL shared by replicas. Each test starts what it needs on 127.0.0.1 and stops it.
@Suite(.serialized, .timeLimit(.minutes(3)))
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
