import CancelgateFakes
import HummingbirdTesting
import Testing

@Suite struct FakesSkyvernTests {
    static let bulk = "/skyvern/v1/runs/cancel"
    static func single(_ id: String) -> String { "/skyvern/v1/runs/\(segment(id))/cancel" }
    static let seeds = [
        ("tsk_1", "running"), ("tsk_2", "queued"), ("tsk_3", "completed"), ("tsk_4", "canceled"), ("tsk_5", "timed_out"),
        ("tsk_6", "webhook_failure"), ("wr_7", "completed"), ("tsk_v2_8", "running"), ("tsk_10", "created"),
    ]

    @Test func refusesMissingAndWrongKeyWith403() async throws {
        try await FakesHarness.run { h in
            let missing = try await h.post(Self.bulk, body: #"{"run_ids":["tsk_1"]}"#)
            let wrong = try await h.post(Self.bulk, ["x-api-key": "nope"], body: #"{"run_ids":["tsk_1"]}"#)
            #expect(missing.code == 403 && missing.detail == "Invalid credentials")
            #expect(wrong.code == 403 && wrong.detail == "Could not validate credentials")
        }
    }

    @Test func bulkDeduplicatesSortsOutFailuresAndShuffles() async throws {
        try await FakesHarness.run { h in
            for (id, status) in Self.seeds { await h.state.seed(.skyvern, id: id, status: status) }
            let ids = Self.seeds.map(\.0) + ["tsk_9", "tsk_1"]
            let response = try await h.post(Self.bulk, h.skyvernAuth, body: #"{"run_ids":\#(jsonList(ids))}"#)
            let cancelled = try #require(response.json["cancelled"] as? [String])
            let failed = try #require(response.json["failed"] as? [String])
            #expect(Set(cancelled) == ["tsk_1", "tsk_2", "wr_7", "tsk_v2_8", "tsk_10"] && cancelled.count == 5)
            #expect(Set(failed) == ["tsk_3", "tsk_4", "tsk_5", "tsk_6", "tsk_9"] && failed.count == 5)
            #expect(cancelled != ids.filter(Set(cancelled).contains).uniqued && failed != ids.filter(Set(failed).contains))
            #expect(await h.state.status(.skyvern, id: "tsk_6") == "canceled")
            #expect(await h.state.status(.skyvern, id: "wr_7") == "completed")
            #expect(await h.state.cancellations(.skyvern, id: "tsk_1") == 1)
            let empty = try await h.post(Self.bulk, h.skyvernAuth, body: #"{"run_ids":[]}"#)
            #expect(empty.json["cancelled"] as? [String] == [] && empty.json["failed"] as? [String] == [])
            let many = jsonList((0...100).map { "tsk_\($0)" })
            #expect(try await h.post(Self.bulk, h.skyvernAuth, body: #"{"run_ids":\#(many)}"#).detail == "too_long")
            #expect(try await h.post(Self.bulk, h.skyvernAuth, body: #"{"run_ids":["tsk_1",5]}"#).detail == "string_type")
        }
    }

    @Test func singleAnswersEachState() async throws {
        try await FakesHarness.run { h in
            for (id, status) in Self.seeds { await h.state.seed(.skyvern, id: id, status: status) }
            let ok = try await h.post(Self.single("tsk_1"), h.skyvernAuth)
            #expect(ok.code == 200 && ok.text == "null")
            #expect(try await h.post(Self.single("tsk_3"), h.skyvernAuth).detail == "Invalid task status transition from completed to canceled for tsk_3")
            #expect(
                try await h.post(Self.single("tsk_4"), h.skyvernAuth).detail
                    == "Invalid task status transition to canceled for tsk_4 because task is already canceled")
            for id in ["tsk_5", "tsk_6"] {
                let failure = try await h.post(Self.single(id), h.skyvernAuth)
                #expect(failure.code == 500 && (failure.json["error"] as? String)?.hasPrefix("Unexpected error: ") == true)
            }
            #expect(await h.state.status(.skyvern, id: "tsk_6") == "canceled")
            #expect(try await h.post(Self.single("wr_7"), h.skyvernAuth).code == 200)
            #expect(try await h.post(Self.single("tsk_9"), h.skyvernAuth).detail == "Run not found tsk_9")
            let slash = try await h.post(Self.single("tsk_1/x"), h.skyvernAuth)
            #expect(slash.code == 404 && slash.detail == "Not Found")
        }
    }
}

@Suite struct FakesMeibelTests {
    static func cancel(_ id: String) -> String { "/meibel/v2/batch-executions/id/\(segment(id))/cancel" }

    @Test func refusesMissingAndWrongKey() async throws {
        try await FakesHarness.run { h in
            for headers in [[:], ["Meibel-API-Key": "nope"], ["Authorization": "Bearer nope"]] {
                let response = try await h.post(Self.cancel("bex_1"), headers)
                #expect(response.code == 401 && response.json["message"] as? String == "Invalid API key")
            }
        }
    }

    @Test func answersEachState() async throws {
        try await FakesHarness.run { h in
            let seeds = ["bex_1": "RUNNING", "bex_2": "COMPLETED", "bex_3": "FAILED", "bex_4": "CANCELED", "bex_5": "TERMINATED"]
            for (id, status) in seeds { await h.state.seed(.meibel, id: id, status: status) }
            for (id, status) in seeds {
                let response = try await h.post(Self.cancel(id), ["Authorization": "Bearer \(h.credentials.meibelKey)"])
                #expect(response.code == 200 && response.json["id"] as? String == id)
                #expect(response.json["status"] as? String == (status == "RUNNING" ? "CANCELED" : status))
            }
            #expect(await h.state.status(.meibel, id: "bex_1") == "CANCELED")
            #expect(await h.state.cancellations(.meibel, id: "bex_1") == 1)
            #expect(await h.state.cancellations(.meibel, id: "bex_2") == 0)
            #expect(try await h.post(Self.cancel("bex_9"), h.meibelAuth).detail == "Execution not found")
        }
    }

    @Test func pathIDIsPercentDecodedExactly() async throws {
        try await FakesHarness.run(.live) { h in
            let id = "a/b%2F ../?#é\u{1}"
            await h.state.seed(.meibel, id: id, status: "RUNNING")
            let response = try await h.post(Self.cancel(id), h.meibelAuth.merging(["X-Request-ID": "req-1"]) { $1 })
            #expect(response.code == 200 && response.json["id"] as? String == id)
            let call = try #require(await h.state.calls(.meibel).first)
            #expect(call.ids == [id] && call.requestID == "req-1" && call.path.contains("a%2Fb%252F"))
        }
    }
}

extension Array where Element: Hashable {
    var uniqued: [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
