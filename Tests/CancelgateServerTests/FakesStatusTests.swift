import CancelgateFakes
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The fakes' status reads, in the shapes BEHAVIOR.md records, and their asynchronous stops.
@Suite struct FakesStatusTests {
    static func get(_ h: FakesHarness, _ path: String, _ headers: [String: String]) async throws -> TestResponse {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        return try await h.client.execute(uri: path, method: .get, headers: fields, body: nil)
    }

    @Test func kubiyaExecutionResponse() async throws {
        try await FakesHarness.run { h in
            let id = TestIDs.uuid()
            await h.state.seed(.kubiya, id: id, status: "running")
            let running = try await Self.get(h, "/kubiya/api/v1/executions/\(id.uppercased())", h.kubiyaAuth)
            #expect(running.statusCode == 200)
            #expect(running.bodyJSON["status"] as? String == "running")
            #expect(running.bodyJSON["completed_at"] is NSNull)
            #expect((running.bodyJSON["created_at"] as? String)?.hasSuffix("+00:00") == true)
            _ = try await h.post("/kubiya/api/v1/executions/\(id)/terminate", h.kubiyaAuth, body: #"{"reason":"r"}"#)
            let cancelled = try await Self.get(h, "/kubiya/api/v1/executions/\(id)", h.kubiyaAuth)
            #expect(cancelled.bodyJSON["status"] as? String == "cancelled")
            #expect((cancelled.bodyJSON["completed_at"] as? String)?.hasSuffix("+00:00") == true)
            let bad = try await Self.get(h, "/kubiya/api/v1/executions/agent-1", h.kubiyaAuth)
            #expect(bad.statusCode == 500 && bad.fastAPIDetail == "Failed to get execution: badly formed hexadecimal UUID string")
            #expect(try await Self.get(h, "/kubiya/api/v1/executions/\(TestIDs.uuid())", h.kubiyaAuth).fastAPIDetail == "Execution not found")
            #expect(try await Self.get(h, "/kubiya/api/v1/executions/\(id)", [:]).statusCode == 401)
        }
    }

    @Test func skyvernRunResponse() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.skyvern, id: "wr_1", status: "completed")
            await h.state.seed(.skyvern, id: "tsk_2", status: "webhook_failure")
            let run = try await Self.get(h, "/skyvern/v1/runs/wr_1", h.skyvernAuth)
            #expect(run.bodyJSON["status"] as? String == "completed")
            #expect(run.bodyJSON["run_type"] as? String == "workflow_run")
            let finished = try #require(run.bodyJSON["finished_at"] as? String)
            #expect(!finished.hasSuffix("Z") && !finished.contains("+") && finished.contains("T"), "no time zone: \(finished)")
            #expect(try await Self.get(h, "/skyvern/v1/runs/tsk_2", h.skyvernAuth).bodyJSON["status"] as? String == "canceled")
            #expect(try await Self.get(h, "/skyvern/v1/runs/tsk_9", h.skyvernAuth).fastAPIDetail == "Task run not found tsk_9")
            #expect(try await Self.get(h, "/skyvern/v1/runs/wr_1", [:]).statusCode == 403)
        }
    }

    /// With a stop delay a Meibel cancel answers RUNNING (`cancel_requested`) and the execution
    /// reads CANCELED, with its end time, once it has stopped; it counts as one cancellation.
    @Test func meibelAsynchronousStop() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.setStopDelay(.seconds(600), for: .meibel)
            let cancel = try await h.post("/meibel/v2/batch-executions/id/bex_1/cancel", h.meibelAuth)
            #expect(cancel.bodyJSON["status"] as? String == "RUNNING")
            #expect(try await h.post("/meibel/v2/batch-executions/id/bex_1/cancel", h.meibelAuth).bodyJSON["status"] as? String == "RUNNING")
            let stopping = try await Self.get(h, "/meibel/v2/batch-executions/id/bex_1", h.meibelAuth)
            #expect(stopping.bodyJSON["status"] as? String == "RUNNING")
            #expect(stopping.bodyJSON["end_time"] is NSNull)
            #expect(await h.state.finishStops() == 1)
            let read = try await Self.get(h, "/meibel/v2/batch-executions/id/bex_1", h.meibelAuth)
            #expect(read.bodyJSON["status"] as? String == "CANCELED")
            #expect(read.bodyJSON["end_time"] is String)
            #expect(await h.state.cancellations(.meibel, id: "bex_1") == 1)
            #expect(try await Self.get(h, "/meibel/v2/batch-executions/id/bex_9", h.meibelAuth).statusCode == 404)
        }
    }

    @Test func c1AutomationExecution() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.c1, id: "11", status: "PROCESS_STEP")
            await h.state.seed(.c1, id: "12", status: "FORBIDDEN")
            await h.state.setStopDelay(.seconds(60), for: .c1, id: "11")
            #expect(try await h.post("/c1/api/v1/automation_executions/11/actions/terminate", h.c1Static, body: "{}").statusCode == 200)
            let read = try await Self.get(h, "/c1/api/v1/automation_executions/11", h.c1Static)
            let execution = try #require(read.bodyJSON["automationExecution"] as? [String: Any])
            #expect(execution["state"] as? String == "AUTOMATION_EXECUTION_STATE_PROCESS_STEP", "terminate is asynchronous")
            #expect(execution["completedAt"] == nil)
            #expect(await h.state.cancellations(.c1, id: "11") == 1)
            #expect(try await Self.get(h, "/c1/api/v1/automation_executions/12", h.c1Static).statusCode == 403)
            #expect(try await Self.get(h, "/c1/api/v1/automation_executions/13", h.c1Static).statusCode == 404)
            #expect(try await Self.get(h, "/c1/api/v1/automation_executions/x", h.c1Static).statusCode == 400)
        }
    }

    /// Faults apply to status reads as to cancels.
    @Test func faultsApplyToReads() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.addFaultRule(FaultRule(.status(503), times: 1), for: .meibel)
            let first = try await Self.get(h, "/meibel/v2/batch-executions/id/bex_1", h.meibelAuth)
            let second = try await Self.get(h, "/meibel/v2/batch-executions/id/bex_1", h.meibelAuth)
            #expect(first.statusCode == 503)
            #expect(second.statusCode == 200)
            #expect(await h.state.calls(.meibel).allSatisfy(\.isStatusRead))
        }
    }
}
