import CancelgateFakes
import HummingbirdTesting
import Testing

@Suite struct FakesSkyvernTests {
    static let bulk = "/skyvern/v1/runs/cancel"
    static func single(_ id: String) -> String { "/skyvern/v1/runs/\(FakesHarness.segment(id))/cancel" }
    static let seeds = [
        ("tsk_1", "running"), ("tsk_2", "queued"), ("tsk_3", "completed"), ("tsk_4", "canceled"), ("tsk_5", "timed_out"),
        ("tsk_6", "webhook_failure"), ("wr_7", "completed"), ("tsk_v2_8", "running"), ("tsk_10", "created"),
    ]

    @Test func refusesMissingAndWrongKeyWith403() async throws {
        try await FakesHarness.run { h in
            let missing = try await h.post(Self.bulk, body: #"{"run_ids":["tsk_1"]}"#)
            let wrong = try await h.post(Self.bulk, ["x-api-key": "nope"], body: #"{"run_ids":["tsk_1"]}"#)
            #expect(missing.statusCode == 403 && missing.fastAPIDetail == "Invalid credentials")
            #expect(wrong.statusCode == 403 && wrong.fastAPIDetail == "Could not validate credentials")
        }
    }

    @Test func bulkDeduplicatesSortsOutFailuresAndShuffles() async throws {
        try await FakesHarness.run { h in
            for (id, status) in Self.seeds { await h.state.seed(.skyvern, id: id, status: status) }
            let ids = Self.seeds.map(\.0) + ["tsk_9", "tsk_1"]
            let response = try await h.post(Self.bulk, h.skyvernAuth, body: #"{"run_ids":\#(FakesHarness.jsonList(ids))}"#)
            let cancelled = try #require(response.bodyJSON["cancelled"] as? [String])
            let failed = try #require(response.bodyJSON["failed"] as? [String])
            #expect(Set(cancelled) == ["tsk_1", "tsk_2", "wr_7", "tsk_v2_8", "tsk_10"] && cancelled.count == 5)
            #expect(Set(failed) == ["tsk_3", "tsk_4", "tsk_5", "tsk_6", "tsk_9"] && failed.count == 5)
            #expect(cancelled != ids.filter(Set(cancelled).contains).uniqued && failed != ids.filter(Set(failed).contains))
            #expect(await h.state.status(.skyvern, id: "tsk_6") == "canceled")
            #expect(await h.state.status(.skyvern, id: "wr_7") == "completed")
            #expect(await h.state.cancellations(.skyvern, id: "tsk_1") == 1)
            let empty = try await h.post(Self.bulk, h.skyvernAuth, body: #"{"run_ids":[]}"#)
            #expect(empty.bodyJSON["cancelled"] as? [String] == [] && empty.bodyJSON["failed"] as? [String] == [])
            let many = FakesHarness.jsonList((0...100).map { "tsk_\($0)" })
            #expect(try await h.post(Self.bulk, h.skyvernAuth, body: #"{"run_ids":\#(many)}"#).fastAPIDetail == "too_long")
            #expect(try await h.post(Self.bulk, h.skyvernAuth, body: #"{"run_ids":["tsk_1",5]}"#).fastAPIDetail == "string_type")
        }
    }

    @Test func singleAnswersEachState() async throws {
        try await FakesHarness.run { h in
            for (id, status) in Self.seeds { await h.state.seed(.skyvern, id: id, status: status) }
            let ok = try await h.post(Self.single("tsk_1"), h.skyvernAuth)
            #expect(ok.statusCode == 200 && ok.bodyText == "null")
            #expect(try await h.post(Self.single("tsk_3"), h.skyvernAuth).fastAPIDetail == "Invalid task status transition from completed to canceled for tsk_3")
            #expect(
                try await h.post(Self.single("tsk_4"), h.skyvernAuth).fastAPIDetail
                    == "Invalid task status transition to canceled for tsk_4 because task is already canceled")
            for id in ["tsk_5", "tsk_6"] {
                let failure = try await h.post(Self.single(id), h.skyvernAuth)
                #expect(failure.statusCode == 500 && (failure.bodyJSON["error"] as? String)?.hasPrefix("Unexpected error: ") == true)
            }
            #expect(await h.state.status(.skyvern, id: "tsk_6") == "canceled")
            #expect(try await h.post(Self.single("wr_7"), h.skyvernAuth).statusCode == 200)
            #expect(try await h.post(Self.single("tsk_9"), h.skyvernAuth).fastAPIDetail == "Run not found tsk_9")
            let slash = try await h.post(Self.single("tsk_1/x"), h.skyvernAuth)
            #expect(slash.statusCode == 404 && slash.fastAPIDetail == "Not Found")
        }
    }
}

@Suite struct FakesMeibelTests {
    static func cancel(_ id: String) -> String { "/meibel/v2/batch-executions/id/\(FakesHarness.segment(id))/cancel" }

    @Test func refusesMissingAndWrongKey() async throws {
        try await FakesHarness.run { h in
            for headers in [[:], ["Meibel-API-Key": "nope"], ["Authorization": "Bearer nope"]] {
                let response = try await h.post(Self.cancel("bex_1"), headers)
                #expect(response.statusCode == 401 && response.bodyJSON["message"] as? String == "Invalid API key")
            }
        }
    }

    @Test func answersEachState() async throws {
        try await FakesHarness.run { h in
            let seeds = ["bex_1": "RUNNING", "bex_2": "COMPLETED", "bex_3": "FAILED", "bex_4": "CANCELED", "bex_5": "TERMINATED"]
            for (id, status) in seeds { await h.state.seed(.meibel, id: id, status: status) }
            for (id, status) in seeds {
                let response = try await h.post(Self.cancel(id), ["Authorization": "Bearer \(h.credentials.meibelKey)"])
                #expect(response.statusCode == 200 && response.bodyJSON["id"] as? String == id)
                #expect(response.bodyJSON["status"] as? String == (status == "RUNNING" ? "CANCELED" : status))
            }
            #expect(await h.state.status(.meibel, id: "bex_1") == "CANCELED")
            #expect(await h.state.cancellations(.meibel, id: "bex_1") == 1)
            #expect(await h.state.cancellations(.meibel, id: "bex_2") == 0)
            #expect(try await h.post(Self.cancel("bex_9"), h.meibelAuth).fastAPIDetail == "Execution not found")
        }
    }

    @Test func pathIDIsPercentDecodedExactly() async throws {
        try await FakesHarness.run(.live) { h in
            let id = "a/b%2F ../?#é\u{1}"
            await h.state.seed(.meibel, id: id, status: "RUNNING")
            let response = try await h.post(Self.cancel(id), h.meibelAuth.merging(["X-Request-ID": "req-1"]) { $1 })
            #expect(response.statusCode == 200 && response.bodyJSON["id"] as? String == id)
            let call = try #require(await h.state.calls(.meibel).first)
            #expect(call.ids == [id] && call.requestID == "req-1" && call.path.contains("a%2Fb%252F"))
        }
    }
}

private extension Array where Element: Hashable {
    var uniqued: [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
