import CancelgateWire
import CancelgateClient
import CurlClient
import Foundation
import Logging
import Testing

/// `cancelgate cancel`'s pure parts: ID lists, keys, exit codes, CSV, table and progress line.
@Suite struct CancelCommandOutputTests {
    @Test func idListSkipsBlankLinesAndComments() {
        let text = "# header\n\n  a-1  \nb#2\nc-3 # note\n\t# indented comment\r\nd-4\r\n#\ne-5\t#tab comment"
        #expect(IDList.parse(text) == ["a-1", "b#2", "c-3", "d-4", "e-5"])
    }

    @Test func idListInputErrorsAreUsageErrors() throws {
        #expect {
            try IDList.read(arguments: [], file: "/nonexistent/ids.txt", stdin: nil)
        } throws: { ($0 as? CancelCommandError)?.kind == .usage && "\($0)".contains("/nonexistent/ids.txt") }
        #expect {
            try IDList.read(arguments: [], file: nil, stdin: { Data("# only a comment\n\n".utf8) })
        } throws: { ($0 as? CancelCommandError)?.kind == .usage && "\($0)".contains("no IDs") }
        #expect(try IDList.read(arguments: [], file: nil, stdin: { Data("x\ny\n".utf8) }) == ["x", "y"])
        #expect(try IDList.read(arguments: [], file: "-", stdin: { Data("x\n".utf8) }) == ["x"])
        // Arguments given: standard input is not read.
        #expect(try IDList.read(arguments: ["a"], file: nil, stdin: { Data("x\n".utf8) }) == ["a"])
    }

    @Test func badServerURLsAreUsageErrors() throws {
        let http = try CurlClient()
        defer { http.shutdown() }
        for url in ["127.0.0.1:8080", "ftp://127.0.0.1", "http://", "http://h:1/?x=1", "not a url"] {
            #expect(throws: CancelCommandError.self, "\(url)") {
                try GatewayClient(server: url, token: nil, http: http, logger: .init(label: "t"))
            }
        }
        #expect(
            try GatewayClient(server: "https://gw.example/cancelgate/", token: nil, http: http, logger: .init(label: "t")).baseURL
                == "https://gw.example/cancelgate")
    }

    @Test func keysAreStableAndFollowWhatTheGatewayIsAsked() {
        let ids = (0..<5).map { "tsk_\($0)" }
        let base = CancelParameters(upstream: nil, reason: "r", dryRun: false)
        let keys = Chunk.split(ids, size: 2, parameters: base).map(\.idempotencyKey)
        #expect(keys == Chunk.split(ids, size: 2, parameters: base).map(\.idempotencyKey))
        #expect(Set(keys).count == 3)
        #expect(keys.allSatisfy { $0.hasPrefix("cgcli1-") && $0.count == 71 })
        for other in [
            CancelParameters(upstream: nil, reason: "r2"), CancelParameters(upstream: "skyvern", reason: "r"),
            CancelParameters(reason: "r", dryRun: true), CancelParameters(reason: nil),
        ] {
            #expect(Chunk.split(ids, size: 2, parameters: other)[0].idempotencyKey != keys[0])
        }
        // The same IDs at another position are another request.
        #expect(Chunk.split(["a", "b", "a", "b"], size: 2, parameters: base).map(\.idempotencyKey).count { $0 == keys[0] } == 0)
        let twice = Chunk.split(["a", "b", "a", "b"], size: 2, parameters: base)
        #expect(twice[0].idempotencyKey != twice[1].idempotencyKey)
        #expect(String(decoding: Chunk.split(["x/1"], size: 1, parameters: base)[0].body(base), as: UTF8.self) == #"{"ids":["x/1"],"reason":"r"}"#)
    }

    static func report(_ outcomes: [String], dryRun: Bool = false, failed: Bool = false) -> MergedReport {
        let results = outcomes.enumerated().map { ItemResult(index: $0, id: "id\($0)", outcome: Outcome(rawValue: $1)) }
        let error = failed ? MergedReport.Failure(kind: "connection", message: "gone", request: 1, requests: 2, notSent: 1) : nil
        return MergedReport(
            requestIDs: ["r1"], replayedRequests: 0, dryRun: dryRun, summary: Summary(results), results: results, plan: nil, error: error)
    }

    @Test(arguments: [
        (["cancelled", "cancel_requested", "already_terminal"], false, false, Int32(0)),
        (["cancelled", "not_found"], false, false, 1),
        (["cancelled", "failed"], false, false, 1),
        (["planned", "planned"], true, false, 0),
        (["planned", "unroutable"], true, false, 1),
        (["cancelled"], true, false, 1),
        (["cancelled", "not_sent"], false, true, 2),
    ])
    func exitCodes(outcomes: [String], dryRun: Bool, failed: Bool, expected: Int32) {
        #expect(Self.report(outcomes, dryRun: dryRun, failed: failed).exitCode == expected)
    }

    @Test func csvIsRFC4180() {
        var report = Self.report(["cancelled", "failed"])
        report.results[0].id = "a,b"
        report.results[0].upstream = "skyvern"
        report.results[0].cancelledAt = "2026-11-22T10:00:00Z"
        report.results[0].confirmed = true
        report.results[0].providerStatus = "CANCELED"
        report.results[1].id = #"say "hi""#
        report.results[1].retryable = true
        report.results[1].httpStatus = 503
        report.results[1].attempts = 3
        report.results[1].error = ItemError(ErrorCode(rawValue: "upstream_unavailable"), "line one\nline two, \"quoted\"")
        let expected =
            "index,id,upstream,provider,outcome,retryable,http_status,attempts,cancelled_at,error_code,error_message,confirmed,provider_status\r\n"
            + "0,\"a,b\",skyvern,,cancelled,false,,0,2026-11-22T10:00:00Z,,,true,CANCELED\r\n"
            + "1,\"say \"\"hi\"\"\",,,failed,true,503,3,,upstream_unavailable,\"line one\nline two, \"\"quoted\"\"\",,\r\n"
        #expect(report.csv() == expected)
        #expect(Self.report([]).csv().hasSuffix("provider_status\r\n"))
    }

    @Test func tableHasOneRowPerItemAndASummary() {
        var report = Self.report(["cancelled", "not_found", "already_terminal"])
        report.results[1].error = ItemError(ErrorCode(rawValue: "not_found"), "meibel does not know this execution")
        let lines = report.table().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "#  id   upstream  outcome           http  tries  detail")
        #expect(lines[3] == "1  id1  -         not_found         -     0      not_found: meibel does not know this execution")
        #expect(lines.count == 2 + 3 + 2)
        #expect(lines.last == "3 items, request r1: 1 succeeded, 1 failed, 1 already terminal (already_terminal 1, cancelled 1, not_found 1)")
    }

    @Test func mergedJSONKeepsTheGatewayShape() throws {
        let json = Self.report(["cancelled"]).json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["request_ids", "replayed_requests", "dry_run", "summary", "results"])
        let result = try #require((object["results"] as? [[String: Any]])?.first)
        #expect(result["index"] as? Int == 0 && result["outcome"] as? String == "cancelled")
    }

    @Test func progressLine() {
        let progress = CancelProgress(requestsDone: 3, requests: 12, itemsDone: 2500, items: 12000)
        #expect(ProgressBar.line(progress, width: 10) == "[██░░░░░░░░] 3/12 requests, 2500/12000 items")
        #expect(ProgressBar.redraw(progress).hasPrefix("\r[") && !ProgressBar.redraw(progress).hasSuffix("\n"))
        let done = CancelProgress(requestsDone: 12, requests: 12, itemsDone: 12000, items: 12000)
        #expect(ProgressBar.line(done, width: 4) == "[████] 12/12 requests, 12000/12000 items")
        #expect(ProgressBar.redraw(done).hasSuffix("\n"))
    }
}
