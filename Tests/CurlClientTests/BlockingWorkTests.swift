import CurlClient
import Dispatch
import Foundation
import Testing

/// `BlockingWork` (under the client's async `shutdown()` and the gateway's reload) keeps blocked
/// work off Swift's cooperative pool: far more blocked calls than the pool has threads, and
/// other tasks still run.
@Suite struct BlockingWorkTests {
    @Test(.timeLimit(.minutes(1)))
    func blockedWorkLeavesTheConcurrencyPoolFree() async {
        let held = DispatchSemaphore(value: 0)
        let started = AsyncStream<Void>.makeStream()
        let count = 64
        // A starved pool could not run the time limit either: a plain thread ends the process
        // instead, saying why.
        let finished = DispatchSemaphore(value: 0)
        Thread {
            if finished.wait(timeout: .now() + 30) == .timedOut {
                print("BlockingWorkTests: blocked work held Swift's cooperative pool; no other task ran for 30 s")
                abort()
            }
        }.start()
        let blocked = Task {
            await withTaskGroup(of: Int.self) { group in
                for n in 0..<count {
                    group.addTask {
                        await BlockingWork.run {
                            started.continuation.yield()
                            held.wait()
                            return n
                        }
                    }
                }
                return await group.reduce(0, +)
            }
        }
        var starts = started.stream.makeAsyncIterator()
        for _ in 0..<count { _ = await starts.next() }
        // All 64 are blocked now; other work still runs.
        let sum = await withTaskGroup(of: Int.self) { group in
            for n in 0..<100 { group.addTask { n } }
            return await group.reduce(0, +)
        }
        finished.signal()
        #expect(sum == 4950)
        for _ in 0..<count { held.signal() }
        #expect(await blocked.value == (0..<count).reduce(0, +))
    }

    @Test func shutdownFromAsyncCodeFailsLaterCalls() async throws {
        let client = try CurlClient()
        await client.shutdown()
        await client.shutdown()  // idempotent
        do {
            _ = try await client.execute(CurlRequest(url: "http://127.0.0.1:9/"))
            Issue.record("a call after shutdown succeeded")
        } catch {
            #expect(error.kind == .shutdown)
        }
    }
}
