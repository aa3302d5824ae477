import CancelgateFakes
import HummingbirdTesting
import Testing

@Suite struct FakesKubiyaTests {
    static let batch = "/kubiya/api/v1/executions/batch/terminate"
    static func single(_ id: String) -> String { "/kubiya/api/v1/executions/\(FakesHarness.segment(id))/terminate" }
    static func uuid(_ n: Int) -> String { "00000000-0000-4000-8000-" + String(n).leftPad12 }

    @Test func refusesMissingAndWrongToken() async throws {
        try await FakesHarness.run { h in
            let body = #"{"execution_ids":["\#(Self.uuid(1))"],"reason":"r"}"#
            let missing = try await h.post(Self.batch, body: body)
            let wrong = try await h.post(Self.batch, ["Authorization": "Bearer nope"], body: body)
            #expect(missing.statusCode == 401 && wrong.statusCode == 401)
            #expect((missing.bodyJSON["detail"] as? [String: Any])?["message"] as? String == "Authorization header is required")
            #expect((wrong.bodyJSON["detail"] as? [String: Any])?["message"] as? String == "Invalid or expired authentication token")
            #expect(await h.state.calls(.kubiya).map(\.authorized) == [false, false])
        }
    }

    @Test func batchAnswersEachStateInInputOrder() async throws {
        try await FakesHarness.run { h in
            for (n, status) in [(1, "running"), (2, "pending"), (3, "queued"), (4, "completed")] {
                await h.state.seed(.kubiya, id: Self.uuid(n), status: status)
            }
            let upper = Self.uuid(2).uppercased()
            let ids = [Self.uuid(1), upper, Self.uuid(3), Self.uuid(4), Self.uuid(9), Self.uuid(1)]
            let response = try await h.post(Self.batch, h.kubiyaAuth, body: #"{"execution_ids":\#(FakesHarness.jsonList(ids)),"reason":"test"}"#)
            let results = try #require(response.bodyJSON["results"] as? [[String: Any]])
            #expect(results.map { $0["execution_id"] as? String } == ids)
            #expect(results.map { $0["success"] as? Bool } == [true, true, false, false, false, false])
            #expect(results.map { $0["error"] as? String } == [
                nil, nil, "Cannot terminate workflow in status: queued", "Cannot terminate workflow in status: completed",
                "Execution not found", "Cannot terminate workflow in status: cancelled",
            ])
            #expect(results.allSatisfy { $0.keys.count == 5 })
            #expect(results[0]["workflow_id"] as? String == "agent-execution-\(Self.uuid(1))")
            #expect((results[0]["terminated_at"] as? String)?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil)
            #expect(response.bodyJSON["total_succeeded"] as? Int == 2 && response.bodyJSON["total_failed"] as? Int == 4)
            #expect(await h.state.status(.kubiya, id: Self.uuid(2)) == "cancelled")
            #expect(await h.state.cancellations(.kubiya, id: Self.uuid(1)) == 1)
        }
    }

    @Test func nonUUIDPoisonsTheRestOfTheBatch() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.kubiya, id: Self.uuid(1), status: "running")
            await h.state.seed(.kubiya, id: Self.uuid(2), status: "running")
            let ids = [Self.uuid(1), "agent-execution-x", Self.uuid(2), Self.uuid(3)]
            let response = try await h.post(Self.batch, h.kubiyaAuth, body: #"{"execution_ids":\#(FakesHarness.jsonList(ids)),"reason":"r"}"#)
            let errors = try #require(response.bodyJSON["results"] as? [[String: Any]]).map { $0["error"] as? String ?? "" }
            #expect(errors[0].isEmpty)
            #expect(errors[1].hasPrefix("Unexpected error: (psycopg2.errors.InvalidTextRepresentation) invalid input syntax for type uuid"))
            #expect(errors[2...].allSatisfy { $0.hasPrefix("Unexpected error: (psycopg2.errors.InFailedSqlTransaction) current transaction is aborted") })
            #expect(await h.state.status(.kubiya, id: Self.uuid(2)) == "running")
        }
    }

    @Test func singleAnswersAndValidation() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.kubiya, id: Self.uuid(1), status: "running")
            let reason = #"{"reason":"r"}"#
            let first = try await h.post(Self.single(Self.uuid(1)), h.kubiyaAuth, body: reason)
            #expect(first.statusCode == 200 && first.bodyJSON["success"] as? Bool == true)
            #expect(try await h.post(Self.single(Self.uuid(1)), h.kubiyaAuth, body: reason).fastAPIDetail == "Cannot terminate workflow in status: cancelled")
            #expect(try await h.post(Self.single(Self.uuid(5)), h.kubiyaAuth, body: reason).statusCode == 404)
            let bad = try await h.post(Self.single("nope"), h.kubiyaAuth, body: reason)
            #expect(bad.statusCode == 500 && bad.fastAPIDetail == "An unexpected error occurred while terminating execution")
            #expect(try await h.post(Self.batch, h.kubiyaAuth, body: #"{"execution_ids":[],"reason":"r"}"#).fastAPIDetail == "too_short")
            let many = FakesHarness.jsonList((0...100).map(Self.uuid))
            #expect(try await h.post(Self.batch, h.kubiyaAuth, body: #"{"execution_ids":\#(many),"reason":"r"}"#).fastAPIDetail == "too_long")
            #expect(try await h.post(Self.batch, body: "{not json").fastAPIDetail == "json_invalid")
        }
    }
}

private extension String {
    var leftPad12: String { String(repeating: "0", count: Swift.max(0, 12 - count)) + self }
}
