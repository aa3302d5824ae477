import CancelgateWire
@testable import CurlClient
import Foundation
import Testing

@testable import CancelgateCore

/// Each adapter's answer → outcome table, without sockets.
@Suite struct AdapterTableTests {
    static func answer(_ status: Int, _ body: String) -> CallResult {
        .success(CurlResponse(status: status, headers: [], body: Data(body.utf8)))
    }

    static func failure(_ kind: CurlError.Kind) -> CallResult {
        .failure(.transport(CurlError(kind: kind, call: "transfer", requestSent: true, message: "test")))
    }

    static let site = CallSite(upstream: "up", path: "/called/path")

    @Test(arguments: [
        (#"Execution not found"#, Outcome.notFound, false),
        ("Cannot terminate workflow in status: completed", .alreadyTerminal, false),
        ("Cannot terminate workflow in status: failed", .alreadyTerminal, false),
        ("Cannot terminate workflow in status: cancelled", .alreadyTerminal, false),
        ("Cannot terminate workflow in status: queued", .failed, true),
        ("Cannot terminate workflow in status: waiting_for_input", .failed, false),
        ("Unexpected error: Failed to terminate workflow: boom", .failed, true),
        ("Unexpected error: (psycopg2.errors.InFailedSqlTransaction) current transaction is aborted", .failed, true),
    ])
    func kubiyaErrorStrings(text: String, outcome: Outcome, retryable: Bool) {
        let resolution = Kubiya.resolution(forError: text, status: 200)
        #expect(resolution.outcome == outcome)
        #expect(resolution.retryable == retryable)
        #expect(!(resolution.error?.message.contains("psycopg2") ?? false), "upstream text is never copied")
    }

    @Test func kubiyaBatchMatchesByIDNotPosition() {
        let a = UUID().uuidString.lowercased()
        let b = UUID().uuidString.lowercased()
        let c = UUID().uuidString.lowercased()
        let body = """
            {"total_requested":3,"total_succeeded":1,"total_failed":1,"results":[
             {"execution_id":"\(b)","success":false,"workflow_id":null,"error":"Execution not found","terminated_at":null},
             {"execution_id":"\(a)","success":true,"workflow_id":"agent-execution-\(a)","error":null,"terminated_at":"2026-11-23T16:20:08.512406Z"}]}
            """
        let result = KubiyaBatchAdapter.interpret(chunk: [a, b, c], result: Self.answer(200, body), site: Self.site)
        #expect(result[a]?.outcome == .cancelled)
        #expect(result[a]?.cancelledAt == "2026-11-23T16:20:08.512406Z")
        #expect(result[b]?.outcome == .notFound)
        #expect(result[c]?.error?.code == .notReported)
    }

    @Test(arguments: [
        (401, Outcome.failed, ErrorCode.upstreamAuthFailed, false),
        (422, .failed, .upstreamRejected, false),
        (429, .failed, .rateLimited, true),
        (500, .failed, .upstreamError, true),
        (502, .failed, .upstreamUnavailable, true),
        (200, .failed, .badResponse, false),
    ])
    func kubiyaBatchWholeCallAnswers(status: Int, outcome: Outcome, code: ErrorCode, retryable: Bool) {
        let result = KubiyaBatchAdapter.interpret(chunk: ["x", "y"], result: Self.answer(status, "<html>not json</html>"), site: Self.site)
        for id in ["x", "y"] {
            #expect(result[id]?.outcome == outcome)
            #expect(result[id]?.error?.code == code)
            #expect(result[id]?.retryable == retryable)
        }
    }

    @Test func skyvernListsInAnyOrder() {
        let body = #"{"cancelled":["tsk_3","tsk_1"],"failed":["tsk_2"]}"#
        let result = SkyvernAdapter.interpret(chunk: ["tsk_1", "tsk_2", "tsk_3", "tsk_4"], result: Self.answer(200, body), site: Self.site)
        #expect(result["tsk_1"]?.outcome == .cancelled)
        #expect(result["tsk_3"]?.outcome == .cancelled)
        #expect(result["tsk_2"] == nil, "a failed ID is asked again")
        #expect(result["tsk_4"]?.error?.code == .notReported)
        #expect(SkyvernAdapter.interpret(chunk: ["tsk_1"], result: Self.answer(403, #"{"detail":"Invalid credentials"}"#), site: Self.site)["tsk_1"]?.error?.code == .upstreamAuthFailed)
    }

    @Test(arguments: [
        (200, "null", Outcome.cancelled),
        (400, #"{"detail":"Invalid task status transition from completed to canceled for tsk_1"}"#, .alreadyTerminal),
        (404, #"{"detail":"Run not found tsk_1"}"#, .notFound),
        (500, #"{"error":"Unexpected error: webhook"}"#, .failed),
    ])
    func skyvernSingleFollowUp(status: Int, body: String, outcome: Outcome) {
        #expect(SkyvernAdapter.interpretSingle(Self.answer(status, body), site: Self.site).outcome == outcome)
    }

    /// After an attempt that may have reached the upstream, "already cancelled" is this request's work.
    @Test(arguments: [
        ("Cannot terminate workflow in status: cancelled", false, Outcome.alreadyTerminal),
        ("Cannot terminate workflow in status: cancelled", true, .cancelled),
        ("Cannot terminate workflow in status: completed", true, .alreadyTerminal),
        ("Cannot terminate workflow in status: failed", true, .alreadyTerminal),
        ("Execution not found", true, .notFound),
    ])
    func kubiyaInDoubt(text: String, inDoubt: Bool, outcome: Outcome) {
        #expect(Kubiya.resolution(forError: text, status: 200, inDoubt: inDoubt).outcome == outcome)
        let single = KubiyaSingleAdapter.interpret(Self.answer(400, #"{"detail":"\#(text)"}"#), inDoubt: inDoubt, site: Self.site)
        #expect(single.outcome == (text.hasPrefix("Cannot") ? outcome : .failed))
    }

    @Test(arguments: [
        ("transition to canceled for tsk_1 because task is already canceled", false, Outcome.alreadyTerminal),
        ("transition to canceled for tsk_1 because task is already canceled", true, .cancelled),
        ("transition from completed to canceled for tsk_1", true, .alreadyTerminal),
        ("transition from failed to canceled for tsk_1", true, .alreadyTerminal),
        ("transition from terminated to canceled for tsk_1", true, .alreadyTerminal),
        ("transition from timed_out to canceled for tsk_1", true, .alreadyTerminal),
    ])
    func skyvernFollowUpInDoubt(detail: String, inDoubt: Bool, outcome: Outcome) {
        let body = #"{"detail":"Invalid task status \#(detail)"}"#
        #expect(SkyvernAdapter.interpretSingle(Self.answer(400, body), inDoubt: inDoubt, site: Self.site).outcome == outcome)
    }

    @Test(arguments: [
        ("CANCELED", Outcome.cancelled), ("cancelled", .cancelled), ("Terminated", .cancelled), ("COMPLETED", .alreadyTerminal),
        ("failed", .alreadyTerminal), ("RUNNING", .cancelRequested),
    ])
    func meibelStatus(status: String, outcome: Outcome) {
        let body = #"{"id":"bex_1","batch_definition_id":"d","customer_id":"c","project_id":"p","start_time":"2026-11-23T10:00:00Z","status":"\#(status)"}"#
        #expect(MeibelAdapter.interpret(Self.answer(200, body), site: Self.site).outcome == outcome)
    }

    @Test func meibelAndC1Statuses() {
        #expect(MeibelAdapter.interpret(Self.answer(404, #"{"detail":"Execution not found"}"#), site: Self.site).outcome == .notFound)
        #expect(MeibelAdapter.interpret(Self.answer(422, #"{"detail":[]}"#), site: Self.site).outcome == .invalid)
        #expect(MeibelAdapter.interpret(Self.answer(200, "{}"), site: Self.site).error?.code == .badResponse)
        #expect(C1Adapter.interpret(Self.answer(200, "{}"), site: Self.site).outcome == .cancelRequested)
        #expect(C1Adapter.interpret(Self.answer(403, #"{"code":7,"message":"permission denied"}"#), site: Self.site).outcome == .forbidden)
        #expect(C1Adapter.interpret(Self.answer(404, #"{"code":5,"message":"not found"}"#), site: Self.site).outcome == .notFound)
        #expect(C1Adapter.interpret(Self.answer(400, #"{"code":"invalid_argument"}"#), site: Self.site).outcome == .invalid)
    }

    @Test(arguments: [
        (CurlError.Kind.timeout, ErrorCode.upstreamTimeout, true), (.connectFailed, .connectFailed, true),
        (.connectionClosed, .connectionClosed, true), (.tls, .tlsError, false), (.responseTooLarge, .badResponse, false),
    ])
    func transportFailures(kind: CurlError.Kind, code: ErrorCode, retryable: Bool) {
        let resolution = C1Adapter.interpret(Self.failure(kind), site: Self.site)
        #expect(resolution.outcome == .failed)
        #expect(resolution.error?.code == code)
        #expect(resolution.retryable == retryable)
    }

    /// A 404 for a whole batch means the endpoint is missing (a wrong `base_url`), whatever its
    /// body; for a per-ID call only FastAPI's route miss does. The message names upstream and path.
    @Test(arguments: ["", #"{"detail":"Not Found"}"#, #"{"detail":"Execution not found"}"#])
    func batchNotFoundIsAMissingEndpoint(body: String) {
        let kubiya = KubiyaBatchAdapter.interpret(chunk: ["a", "b"], result: Self.answer(404, body), site: Self.site)
        let skyvern = SkyvernAdapter.interpret(chunk: ["tsk_1"], result: Self.answer(404, body), site: Self.site)
        for resolution in [kubiya["a"], kubiya["b"], skyvern["tsk_1"]] {
            #expect(resolution?.outcome == .failed)
            #expect(resolution?.error?.code == .endpointNotFound)
            #expect(resolution?.retryable == false)
            #expect(resolution?.httpStatus == 404)
            #expect(resolution?.error?.message.contains("up") == true)
            #expect(resolution?.error?.message.contains("/called/path") == true)
        }
    }

    @Test func perIDRouteMissIsAMissingEndpointButTheProvidersOwnNotFoundIsNot() {
        let routeMiss = Self.answer(404, #"{"detail":"Not Found"}"#)
        let missed = [
            KubiyaSingleAdapter.interpret(routeMiss, site: Self.site), SkyvernAdapter.interpretSingle(routeMiss, site: Self.site),
            MeibelAdapter.interpret(routeMiss, site: Self.site), C1Adapter.interpret(routeMiss, site: Self.site),
        ]
        for resolution in missed {
            #expect(resolution.outcome == .failed)
            #expect(resolution.error?.code == .endpointNotFound)
        }
        #expect(KubiyaSingleAdapter.interpret(Self.answer(404, #"{"detail":"Execution not found"}"#), site: Self.site).outcome == .notFound)
        #expect(SkyvernAdapter.interpretSingle(Self.answer(404, #"{"detail":"Run not found tsk_1"}"#), site: Self.site).outcome == .notFound)
        #expect(MeibelAdapter.interpret(Self.answer(404, ""), site: Self.site).outcome == .notFound)
    }

    @Test func localIDRules() {
        #expect(C1Adapter().rejection(of: "9223372036854775807") == nil)
        #expect(C1Adapter().rejection(of: "9223372036854775808") != nil)
        #expect(C1Adapter().rejection(of: "-5") != nil)
        #expect(C1Adapter().rejection(of: "١٢٣") != nil)
        #expect(KubiyaBatchAdapter().rejection(of: "3F0C6D2E-8A41-4B7E-9D35-0C1F2A7B9E11") == nil)
        #expect(KubiyaBatchAdapter().rejection(of: "agent-execution-3f0c6d2e-8a41-4b7e-9d35-0c1f2a7b9e11") != nil)
        #expect(SkyvernAdapter().rejection(of: "tsk_1") == nil)
        #expect(SkyvernAdapter().rejection(of: "tsk_1/../wr_2") != nil, "Skyvern's router would only answer a route miss")
    }

    @Test func pathSegmentsEncodeEverythingThatCouldEscape() {
        #expect(Wire.segment("a/b") == "a%2Fb")
        #expect(Wire.segment("..") == "%2E%2E")
        #expect(Wire.segment("x?y#z%") == "x%3Fy%23z%25")
        #expect(Wire.segment("tsk_1-a~") == "tsk_1-a~")
    }
}
