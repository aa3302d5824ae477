import CancelgateFakes
import HummingbirdTesting
import Testing

@Suite struct FakesFaultTests {
    static let meibel = FakesMeibelTests.cancel

    @Test func statusFaultUsesProviderShapeAndChangesNothing() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.seed(.meibel, id: "bex_2", status: "RUNNING")
            await h.state.setFault(.status(503), for: .meibel, ids: ["bex_1"])
            await h.state.setFault(.status(429), for: .c1)
            let faulted = try await h.post(Self.meibel("bex_1"), h.meibelAuth)
            #expect(faulted.code == 503 && faulted.detail == "Service Unavailable")
            #expect(try await h.post(Self.meibel("bex_2"), h.meibelAuth).code == 200)
            let c1 = try await h.post(FakesC1Tests.terminate("5"), h.c1Static, body: "{}")
            #expect(c1.code == 429 && c1.json["code"] as? Int == 8)
            #expect(await h.state.status(.meibel, id: "bex_1") == "RUNNING")
            await h.state.setFault(.garbage, for: .meibel)
            let garbage = try await h.post(Self.meibel("bex_1"), h.meibelAuth)
            #expect(garbage.code == 200 && garbage.json.isEmpty)
            await h.state.reset()
            #expect(try await h.post(Self.meibel("bex_1"), h.meibelAuth).code == 404)
        }
    }

    @Test func closeConnectionAnswersNothing() async throws {
        try await FakesHarness.run(.live) { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.setFault(.closeConnection, for: .meibel)
            await #expect(throws: (any Error).self) { try await h.post(Self.meibel("bex_1"), h.meibelAuth) }
            #expect(await h.state.status(.meibel, id: "bex_1") == "RUNNING")
            #expect(await h.state.calls(.meibel).count == 1)
        }
    }

    @Test func cancelThenCloseCancelsButAnswersNothing() async throws {
        try await FakesHarness.run(.live) { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.setFault(.cancelThenClose, for: .meibel)
            await #expect(throws: (any Error).self) { try await h.post(Self.meibel("bex_1"), h.meibelAuth) }
            #expect(await h.state.status(.meibel, id: "bex_1") == "CANCELED")
        }
    }

    @Test func hangHoldsUntilReleased() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.setFault(.hang, for: .meibel)
            try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask { try await h.post(Self.meibel("bex_1"), h.meibelAuth).code }
                await h.state.waitUntilHeld(1)
                #expect(await h.state.status(.meibel, id: "bex_1") == "RUNNING")
                await h.state.releaseHangs()
                let code = try await group.next()
                #expect(code == 200)
            }
            #expect(await h.state.status(.meibel, id: "bex_1") == "CANCELED")
        }
    }
}
