import CancelgateWire
import CancelgateCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `GET /v1/cancels/{request_id}` and `GET /v1/cancels?…` (CONTRACT §5), on the memory store and
/// on SQLite in a temporary directory.
@Suite(.timeLimit(.minutes(2)))
struct RecordsAPITests {
    /// Runs `body` with a gateway on the named store.
    static func run(
        _ kind: String, clients: [(name: String, token: String, upstreams: [String])] = [], admin: String? = nil,
        _ body: @Sendable (GatewayHarness) async throws -> Void
    ) async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var settings = GatewayHarness.Settings()
        settings.autoCreate = true
        settings.clients = clients
        if let admin {
            settings.editRoutes = { $0.replacingOccurrences(of: #""name": "\#(admin)","#, with: #""name": "\#(admin)", "admin": true,"#) }
        }
        if kind == "sqlite" { settings.store = #"{"type": "sqlite", "path": "\#(dir.file("records.db"))", "sweep_interval_ms": 200}"# }
        try await GatewayHarness.run(settings, body)
    }

    static func get(_ h: GatewayHarness, _ uri: String, token: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await h.gateway.execute(uri: uri, method: .get, headers: headers, body: nil)
    }

    struct Page: Decodable {
        let cancels: [CancelRecord]
        let next_cursor: String?
    }

    static func page(_ h: GatewayHarness, _ query: String, token: String? = nil) async throws -> Page {
        let response = try await get(h, "/v1/cancels?" + query, token: token)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return try JSONDecoder().decode(Page.self, from: Data(response.body.readableBytesView))
    }

    /// Sends a cancel and returns its report once the clock has moved past its record's time,
    /// so that the next request is received strictly later.
    static func send(_ h: GatewayHarness, _ body: String, query: String = "", token: String? = nil, id: String) async throws -> CancelReport {
        var headers: HTTPFields = [HTTPField.Name("X-Request-ID")!: id]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let report = try await h.cancel(body, query: query, headers: headers)
        let sent = RecordTime.nowMs()
        while RecordTime.nowMs() <= sent { await Task.yield() }
        return report
    }

    @Test(arguments: ["memory", "sqlite"])
    func everyFilterFindsItsRecords(store: String) async throws {
        try await Self.run(store) { h in
            let run = TestIDs.uuid()
            let r1 = try await Self.send(h, #"{"ids": ["\#(run)", "tsk_101"], "reason": "first"}"#, id: "rec-1")
            let r2 = try await Self.send(h, #"{"ids": ["\#(run)", "bex_102", "nowhere-1"], "reason": "second"}"#, id: "rec-2")
            _ = try await Self.send(h, #"{"ids": ["tsk_103"]}"#, query: "?dry_run=true", id: "rec-3")
            let record1 = try JSONDecoder().decode(CancelRecord.self, from: Data(try await Self.get(h, "/v1/cancels/rec-1").body.readableBytesView))
            let record2 = try JSONDecoder().decode(CancelRecord.self, from: Data(try await Self.get(h, "/v1/cancels/rec-2").body.readableBytesView))
            #expect(record1.results == r1.results && record1.state == .completed && record1.reason == "first")
            #expect(record2.summary == r2.summary && record2.finishedAtMs != nil)

            let byRun = try await Self.page(h, "id=\(run)")
            #expect(byRun.cancels.map(\.requestID) == ["rec-2", "rec-1"], "newest first")
            #expect(byRun.cancels.allSatisfy { $0.results?.map(\.id) == [run] }, "each entry carries the matching results only")
            let byUpstream = try await Self.page(h, "upstream=meibel")
            #expect(byUpstream.cancels.map(\.requestID) == ["rec-2"])
            #expect(byUpstream.cancels[0].results == nil, "without id or outcome, no results")
            let byOutcome = try await Self.page(h, "outcome=unroutable")
            #expect(byOutcome.cancels.map(\.requestID) == ["rec-2"])
            #expect(byOutcome.cancels[0].results?.map(\.id) == ["nowhere-1"])
            let planned = try await Self.page(h, "outcome=planned")
            #expect(planned.cancels.map(\.requestID) == ["rec-3"])
            #expect(planned.cancels[0].dryRun)
            let since = try await Self.page(h, "since=\(RecordTime.format(record2.receivedAtMs))")
            #expect(since.cancels.map(\.requestID) == ["rec-3", "rec-2"])
            let until = try await Self.page(h, "until=\(RecordTime.format(record1.receivedAtMs))")
            #expect(until.cancels.map(\.requestID) == ["rec-1"])
            let both = try await Self.page(h, "id=\(run)&upstream=kubiya&since=\(RecordTime.format(record2.receivedAtMs))")
            #expect(both.cancels.map(\.requestID) == ["rec-2"])
            #expect(try await Self.page(h, "id=never-named").cancels.isEmpty)
        }
    }

    @Test(arguments: ["memory", "sqlite"])
    func pagingHasNoDuplicatesOrGaps(store: String) async throws {
        try await Self.run(store) { h in
            var sent: [String] = []
            for index in 0..<23 {
                _ = try await Self.send(h, #"{"ids": ["tsk_\#(200 + index)"]}"#, id: "page-\(index)")
                sent.append("page-\(index)")
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await Self.page(h, "limit=5" + (cursor.map { "&cursor=\($0)" } ?? ""))
                #expect(page.cancels.count <= 5)
                seen += page.cancels.map(\.requestID)
                cursor = page.next_cursor
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen == sent.reversed(), "every record once, newest first")
            #expect(pages == 5)
        }
    }

    @Test(arguments: ["memory", "sqlite"])
    func callersSeeTheirOwnAndAdminsAll(store: String) async throws {
        let all = ["kubiya", "skyvern", "meibel", "c1"]
        try await Self.run(
            store, clients: [("alice", "t-alice", all), ("bob", "t-bob", all), ("auditor", "t-audit", all)], admin: "auditor"
        ) { h in
            _ = try await Self.send(h, #"{"ids": ["tsk_301"]}"#, token: "t-alice", id: "alice-1")
            _ = try await Self.send(h, #"{"ids": ["tsk_302"]}"#, token: "t-bob", id: "bob-1")
            #expect(try await Self.page(h, "", token: "t-alice").cancels.map(\.requestID) == ["alice-1"])
            #expect(try await Self.page(h, "caller=bob", token: "t-alice").cancels.isEmpty, "a filter never widens what a caller sees")
            let hidden = try await Self.get(h, "/v1/cancels/bob-1", token: "t-alice")
            #expect(hidden.status == .notFound)
            #expect(!String(buffer: hidden.body).contains("tsk_302"))
            #expect(try await Self.page(h, "", token: "t-audit").cancels.map(\.requestID) == ["bob-1", "alice-1"])
            #expect(try await Self.page(h, "caller=bob", token: "t-audit").cancels.map(\.requestID) == ["bob-1"])
            let record = try JSONDecoder().decode(CancelRecord.self, from: Data(try await Self.get(h, "/v1/cancels/bob-1", token: "t-audit").body.readableBytesView))
            #expect(record.caller == "bob")
            #expect(try await Self.get(h, "/v1/cancels", token: nil).status == .unauthorized)
        }
    }

    @Test func anUnknownRecordIsA404Problem() async throws {
        try await Self.run("memory") { h in
            let response = try await Self.get(h, "/v1/cancels/no-such-request")
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/problem+json")
        }
    }

    struct ProblemBody: Decodable {
        struct FieldError: Decodable {
            let pointer: String
            let message: String
        }

        let status: Int
        let errors: [FieldError]
    }

    @Test(arguments: [
        ("cursor=c1.123", "/query/cursor"), ("cursor=\(String(repeating: "x", count: 20))", "/query/cursor"),
        ("since=yesterday", "/query/since"), ("until=2026-13-01T00:00:00Z", "/query/until"), ("limit=0", "/query/limit"),
        ("limit=501", "/query/limit"), ("limit=ten", "/query/limit"), ("outcome=meh", "/query/outcome"), ("color=red", "/query/color"),
        ("id=", "/query/id"),
    ])
    func badParametersGetA422NamingThem(query: String, pointer: String) async throws {
        try await Self.run("memory") { h in
            let response = try await Self.get(h, "/v1/cancels?" + query)
            #expect(response.status == .unprocessableContent)
            let problem = try JSONDecoder().decode(ProblemBody.self, from: Data(response.body.readableBytesView))
            #expect(problem.errors.map(\.pointer) == [pointer], "\(problem.errors.map(\.message))")
        }
    }

    /// A caller may send the same X-Request-ID twice: both requests keep their record, and the
    /// request ID shows the newest.
    @Test func aReusedRequestIDOverwritesNoRecord() async throws {
        try await Self.run("sqlite") { h in
            _ = try await Self.send(h, #"{"ids": ["tsk_401"]}"#, id: "same")
            _ = try await Self.send(h, #"{"ids": ["tsk_402", "tsk_403"]}"#, id: "same")
            let page = try await Self.page(h, "")
            #expect(page.cancels.map(\.requestID) == ["same", "same"])
            #expect(page.cancels.map(\.summary.total) == [2, 1])
            let newest = try JSONDecoder().decode(CancelRecord.self, from: Data(try await Self.get(h, "/v1/cancels/same").body.readableBytesView))
            #expect(newest.results?.map(\.id) == ["tsk_402", "tsk_403"])
        }
    }
}
