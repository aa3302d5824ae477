import CancelgateFakes

/// The demo's runs: seeded in the fakes so that one mixed request produces every outcome.
enum DemoScenario {
    static let runningKubiya = "3f0c6d2e-8a41-4b7e-9d35-0c1f2a7b9e11"
    static let completedKubiya = "7b2e4f10-1c3d-4e5f-8a9b-0c1d2e3f4a5b"
    static let queuedKubiya = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
    static let unknownKubiya = "00000000-0000-4000-8000-000000000000"

    static func seed(_ state: FakeState) async {
        await state.seed(.kubiya, id: runningKubiya, status: "running")
        await state.seed(.kubiya, id: completedKubiya, status: "completed")
        await state.seed(.kubiya, id: queuedKubiya, status: "queued")
        await state.seed(.skyvern, id: "tsk_4810001", status: "running")
        await state.seed(.skyvern, id: "tsk_4810002", status: "completed")
        await state.seed(.skyvern, id: "wr_4810003", status: "running")
        await state.seed(.meibel, id: "bex_7001", status: "RUNNING")
        await state.seed(.meibel, id: "bex_7002", status: "COMPLETED")
        await state.seed(.c1, id: "839265", status: "PROCESS_STEP")
        await state.seed(.c1, id: "840304", status: "FORBIDDEN")
        // The confirmed cancel: C1 and Meibel runs that stop a moment after the cancel, one C1 run
        // that takes longer than the gateway waits, and a completed Skyvern workflow run.
        await state.seed(.c1, id: "839300", status: "PROCESS_STEP")
        await state.seed(.c1, id: "839301", status: "WAITING")
        await state.seed(.meibel, id: "bex_7010", status: "RUNNING")
        await state.seed(.skyvern, id: "wr_4810004", status: "completed")
        await state.seed(.kubiya, id: confirmedKubiya, status: "running")
        for id in ["839300", "bex_7010"] { await state.setStopDelay(.milliseconds(400), for: id == "839300" ? .c1 : .meibel, id: id) }
        await state.setStopDelay(.seconds(600), for: .c1, id: "839301")
    }

    static let confirmedKubiya = "5d6e7f80-9a1b-4c2d-8e3f-405162738495"

    /// `?confirm=true`: the gateway reads each run's status until it has stopped (or 2 s pass).
    static let confirmBody = #"""
        {"reason": "cancelgate demo, confirmed", "ids": ["\#(confirmedKubiya)", "839300", "839301", "bex_7010", "wr_4810004"]}
        """#

    /// What `demo --faults` injects: a 30% error rate on Kubiya, and one ID each on the others that always
    /// fails (Skyvern's 429 answers the whole bulk call naming it; C1 cancels, then cuts its answer short).
    static let faults: [FakeProvider: [FaultRule]] = [
        .kubiya: [FaultRule(.status(503), probability: 0.3)],
        .skyvern: [FaultRule(.rateLimited(retryAfter: .seconds(1)), ids: ["tsk_4810002"])],
        .meibel: [FaultRule(.hang, ids: ["bex_7002"])],
        .c1: [FaultRule(.closeAfterBody, ids: ["839265"])],
    ]

    /// A request body that names every case: routed and named upstreams, a duplicate, an invalid
    /// ID for Kubiya and for C1, an unknown upstream and an ID no route matches.
    static let requestBody = #"""
        {"reason": "cancelgate demo",
         "ids": ["\#(runningKubiya)", "\#(completedKubiya)", "\#(queuedKubiya)", "\#(unknownKubiya)",
                 "tsk_4810001", "tsk_4810002", "wr_4810003", "tsk_4899999",
                 "bex_7001", "bex_7002", "839265", "840304", "999999", "\#(runningKubiya)", "job-42"],
         "items": [{"id": "agent-execution-7", "upstream": "kubiya"}, {"id": "abc", "upstream": "c1"},
                   {"id": "bex_7003", "upstream": "archive"}]}
        """#
}
