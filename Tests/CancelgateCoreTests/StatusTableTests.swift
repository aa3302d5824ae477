import CancelgateWire
@testable import CurlClient
import Foundation
import Testing

@testable import CancelgateCore

/// Each adapter's status table (BEHAVIOR.md "Status reads" → CONTRACT §7 states), without sockets:
/// every word the providers are known to write, and words nobody listed.
@Suite struct StatusTableTests {
    static func reply(_ status: Int, _ body: String) -> UpstreamReply {
        UpstreamReply(result: .success(CurlResponse(status: status, headers: [], body: Data(body.utf8))), attempts: 1)
    }

    static func read(_ adapter: any ProviderAdapter, _ status: Int, _ body: String, id: String = "x") -> RunStatus {
        adapter.interpretStatus(reply(status, body), id: id, upstream: "up")
    }

    static let kubiyaTable: [(String, RunState)] = [
        ("pending", .running), ("queued", .running), ("running", .running), ("waiting_for_input", .running), ("paused", .running),
        ("cancelled", .cancelled), ("completed", .ended), ("failed", .ended), ("interrupted", .ended),
        ("CANCELLED", .unknown), ("terminating", .unknown), ("", .unknown),
    ]

    @Test(arguments: kubiyaTable)
    func kubiyaWords(word: String, state: RunState) {
        for adapter: any ProviderAdapter in [KubiyaBatchAdapter(), KubiyaSingleAdapter()] {
            let body = #"{"id":"e","status":"\#(word)","completed_at":"2026-11-23T16:20:08.512406+00:00","error_message":null}"#
            let status = Self.read(adapter, 200, body)
            #expect(status.state == state)
            #expect(status.providerStatus == word, "the word is kept verbatim")
            #expect(status.endedAt == (state.isFinal ? "2026-11-23T16:20:08.512406+00:00" : nil))
            #expect((status.error?.code == .unknownStatus) == (state == .unknown))
        }
    }

    static let skyvernTable: [(String, RunState)] = [
        ("created", .running), ("queued", .running), ("running", .running), ("paused", .running), ("canceled", .cancelled),
        ("completed", .ended), ("failed", .ended), ("terminated", .ended), ("timed_out", .ended),
        ("cancelled", .unknown), ("Canceled", .unknown), ("webhook_failure", .unknown),
    ]

    @Test(arguments: skyvernTable)
    func skyvernWords(word: String, state: RunState) {
        let status = Self.read(SkyvernAdapter(), 200, #"{"run_id":"tsk_v2_9","status":"\#(word)","finished_at":"2026-11-23T16:20:08.512406"}"#, id: "wr_1")
        #expect(status.state == state)
        #expect(status.providerStatus == word)
        #expect(status.endedAt == (state.isFinal ? "2026-11-23T16:20:08.512406" : nil))
    }

    static let meibelTable: [(String, RunState)] = [
        ("running", .running), ("RUNNING", .running), ("pending", .running), ("Queued", .running),
        ("canceled", .cancelled), ("CANCELLED", .cancelled), ("terminated", .cancelled),
        ("completed", .ended), ("SUCCEEDED", .ended), ("failed", .ended), ("timed_out", .ended), ("error", .ended),
        ("PAUSED", .unknown), ("cancelling", .unknown),
    ]

    @Test(arguments: meibelTable)
    func meibelWords(word: String, state: RunState) {
        let status = Self.read(MeibelAdapter(), 200, #"{"id":"bex_1","status":"\#(word)","end_time":"2026-11-23T16:20:08Z"}"#)
        #expect(status.state == state)
        #expect(status.providerStatus == word)
    }

    /// A non-null `end_time` supports "ended" but does not make a word known.
    @Test func meibelEndTimeAloneDecidesNothing() {
        let status = Self.read(MeibelAdapter(), 200, #"{"id":"bex_1","status":"ARCHIVED","end_time":"2026-11-23T16:20:08Z"}"#)
        #expect(status.state == .unknown)
        #expect(status.endedAt == nil)
    }

    static let c1Table: [(String, RunState)] =
        ["PENDING", "CREATING", "GET_STEP", "PROCESS_STEP", "COMPLETE_STEP", "WAITING", "PAUSED_BY_CIRCUIT_BREAKER"].map {
            ("AUTOMATION_EXECUTION_STATE_" + $0, RunState.running)
        } + [
            ("AUTOMATION_EXECUTION_STATE_TERMINATE", .cancelled), ("AUTOMATION_EXECUTION_STATE_DONE", .ended),
            ("AUTOMATION_EXECUTION_STATE_ERROR", .ended), ("AUTOMATION_EXECUTION_STATE_UNSPECIFIED", .unknown),
            ("AUTOMATION_EXECUTION_STATE_ROLLING_BACK", .unknown), ("TERMINATE", .unknown),
        ]

    @Test(arguments: c1Table)
    func c1Words(word: String, state: RunState) {
        let body = #"{"automationExecution":{"id":"7","state":"\#(word)","completedAt":"2026-11-23T16:20:08Z"}}"#
        let status = Self.read(C1Adapter(), 200, body)
        #expect(status.state == state)
        #expect(status.providerStatus == word)
    }

    @Test(arguments: [#"{"automationExecution":{"id":"7"}}"#, #"{}"#, #"{"automationExecution":null}"#])
    func c1WithoutAStateIsUnknown(body: String) {
        let status = Self.read(C1Adapter(), 200, body)
        #expect(status.state == .unknown)
        #expect(status.providerStatus == nil)
        #expect(status.error?.code == .unknownStatus)
    }

    /// What is not a 200: the same reading as for cancels, in §7's words.
    @Test func answersWithoutAStatus() {
        let kubiya = KubiyaBatchAdapter()
        #expect(Self.read(kubiya, 404, #"{"detail":"Execution not found"}"#).state == .notFound)
        let routeMiss = Self.read(kubiya, 404, #"{"detail":"Not Found"}"#)
        #expect(routeMiss.state == .unknown)
        #expect(routeMiss.error?.code == .endpointNotFound)
        let failing = Self.read(kubiya, 500, #"{"detail":"Failed to get execution: boom"}"#)
        #expect(failing.state == .unknown)
        #expect(failing.retryable)
        #expect(Self.read(kubiya, 403, "{}").state == .forbidden)
        #expect(Self.read(kubiya, 401, "{}").error?.code == .upstreamAuthFailed)
        #expect(Self.read(kubiya, 200, "not json").error?.code == .badResponse)
        #expect(Self.read(kubiya, 200, #"{"status": 3}"#).state == .unknown)

        let skyvern = Self.read(SkyvernAdapter(), 403, #"{"detail":"Invalid credentials"}"#)
        #expect(skyvern.state == .unknown, "Skyvern's 403 is its key, not the run")
        #expect(skyvern.error?.code == .upstreamAuthFailed)
        #expect(Self.read(SkyvernAdapter(), 404, #"{"detail":"Task run not found tsk_1"}"#).state == .notFound)
        #expect(Self.read(MeibelAdapter(), 422, "{}").state == .invalid)
        #expect(Self.read(C1Adapter(), 400, #"{"code":3,"message":"invalid argument"}"#).state == .invalid)
        #expect(Self.read(C1Adapter(), 403, #"{"code":7,"message":"permission denied"}"#).state == .forbidden)
        #expect(Self.read(C1Adapter(), 404, #"{"code":5,"message":"not found"}"#).state == .notFound)
        let throttled = Self.read(C1Adapter(), 429, "{}")
        #expect(throttled.state == .unknown && throttled.retryable && throttled.error?.code == .rateLimited)
    }

    @Test func statusReadsAreGETsOnTheDocumentedPaths() {
        #expect(KubiyaSingleAdapter().statusRequest(for: "a b").path == "/api/v1/executions/a%20b")
        #expect(KubiyaBatchAdapter().statusRequest(for: "x").method == "GET")
        #expect(SkyvernAdapter().statusRequest(for: "wr_1").path == "/v1/runs/wr_1")
        #expect(MeibelAdapter().statusRequest(for: "bex_1").path == "/batch-executions/id/bex_1")
        #expect(C1Adapter().statusRequest(for: "7").path == "/api/v1/automation_executions/7")
        for adapter: any ProviderAdapter in [KubiyaBatchAdapter(), SkyvernAdapter(), MeibelAdapter(), C1Adapter()] {
            #expect(adapter.statusRequest(for: "1").body == nil)
        }
    }
}
