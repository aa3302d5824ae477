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
            #expect(faulted.statusCode == 503 && faulted.fastAPIDetail == "Service Unavailable")
            #expect(try await h.post(Self.meibel("bex_2"), h.meibelAuth).statusCode == 200)
            let c1 = try await h.post(FakesC1Tests.terminate("5"), h.c1Static, body: "{}")
            #expect(c1.statusCode == 429 && c1.bodyJSON["code"] as? Int == 8)
            #expect(await h.state.status(.meibel, id: "bex_1") == "RUNNING")
            await h.state.setFault(.garbage, for: .meibel)
            let garbage = try await h.post(Self.meibel("bex_1"), h.meibelAuth)
            #expect(garbage.statusCode == 200 && garbage.bodyJSON.isEmpty)
            await h.state.reset()
            #expect(try await h.post(Self.meibel("bex_1"), h.meibelAuth).statusCode == 404)
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

    @Test(arguments: [TestingSetup.router, .live]) func hangHoldsUntilReleased(setup: TestingSetup) async throws {
        try await FakesHarness.run(setup) { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await h.state.setFault(.hang, for: .meibel)
            try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask { try await h.post(Self.meibel("bex_1"), h.meibelAuth).statusCode }
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
