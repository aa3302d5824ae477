import CancelgateWire
import CancelgateClient
import CancelgateFakes
import CurlClient
import Foundation
import HummingbirdTesting
import Logging
import Testing

/// `cancelgate status` and `cancelgate cancel --confirm`'s library against a live gateway.
@Suite struct StatusCommandTests {
    static func client(_ h: GatewayHarness, _ http: CurlClient) throws -> GatewayClient {
        try GatewayClient(
            server: "http://127.0.0.1:\(try #require(h.gateway.port))", token: nil, http: http, timeout: .seconds(60),
            logger: Logger(label: "status.test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// A list longer than `max_items` goes in several requests; one report, in input order.
    @Test func aLongListIsReadInRequestsOfMaxItems() async throws {
        var settings = GatewayHarness.Settings()
        settings.maxItems = 3
        let ids = ["bex_1", "tsk_2", "wr_3", "bex_4", "job-5", "bex_1", "77"]
        try await GatewayHarness.run(settings, seed: { state in
            await state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await state.seed(.skyvern, id: "tsk_2", status: "canceled")
            await state.seed(.skyvern, id: "wr_3", status: "completed")
            await state.seed(.meibel, id: "bex_4", status: "CANCELED")
            await state.seed(.c1, id: "77", status: "DONE")
        }) { h in
            let http = try CurlClient()
            defer { http.shutdown() }
            let report = try await Self.client(h, http).status(ids, upstream: nil)
            #expect(report.results.map(\.index) == Array(ids.indices))
            #expect(report.results.map(\.id) == ids)
            #expect(report.results.map(\.state) == [.running, .cancelled, .ended, .cancelled, .unroutable, .running, .ended])
            #expect(report.requestID.split(separator: ",").count == 3)
            #expect(report.exitCode == 1, "job-5 could not be read")
            let table = report.table()
            #expect(table.contains("wr_3") && table.contains("completed"))
            #expect(table.hasSuffix("7 runs: cancelled 2, ended 2, running 2, unroutable 1"))
            let csv = report.csv().split(separator: "\r\n")
            #expect(csv[0] == "index,id,upstream,provider,state,provider_status,ended_at,http_status,attempts,retryable,error_code,error_message")
            #expect(csv[1].hasPrefix("0,bex_1,meibel,meibel,running,RUNNING,,200,1,false,,"))
            #expect(csv.count == 8)
            let readable = try await Self.client(h, http).status(["bex_1", "77"], upstream: nil)
            #expect(readable.exitCode == 0)
        }
    }

    @Test func cancelWithConfirmReportsConfirmation() async throws {
        try await GatewayHarness.run(seed: { state in
            await state.seed(.c1, id: "5001", status: "PROCESS_STEP")
            await state.setStopDelay(.milliseconds(100), for: .c1)
        }) { h in
            let report = try await CancelCommandTests.withSession(h, CancelParameters(confirm: true)) { try await $0.run(["5001"]) }
            #expect(report.results[0].outcome == .cancelled, "\(report.results[0])")
            #expect(report.results[0].confirmed == true)
            #expect(report.table().contains("confirmed AUTOMATION_EXECUTION_STATE_TERMINATE"))
            #expect(report.exitCode == 0)
        }
    }

    /// --confirm is part of what a chunk's Idempotency-Key names; keys without it are unchanged.
    @Test func confirmChangesTheKeyAndOnlyThen() {
        let plain = Chunk.split(["a", "b"], size: 10, parameters: CancelParameters())[0].idempotencyKey
        let confirmed = Chunk.split(["a", "b"], size: 10, parameters: CancelParameters(confirm: true))[0].idempotencyKey
        #expect(plain != confirmed)
        // SHA-256 of {"chunk":0,"dry_run":false,"ids":["a","b"],"reason":null,"upstream":null,"v":1}, the material before --confirm existed.
        #expect(plain == "cgcli1-a4f7348a95332dfa213ec1e39644b1a7ad1b5259ebb7c75600bd6a6eff4dd0cc")
    }
}
