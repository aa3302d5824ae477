import CancelgateCore
import CancelgateServer
import Dispatch
import Foundation
import Logging
import Testing

/// A reload reads routes.json and its environment on a thread of its own: a reload that cannot go
/// on (here its environment is held, as a read on a stuck volume would be) holds that thread,
/// never one of Swift's few cooperative threads, so the gateway keeps serving while reloads wait.
@Suite struct ReloadOffPoolTests {
    @Test(.timeLimit(.minutes(1)))
    func reloadsThatCannotGoOnLeaveTheConcurrencyPoolFree() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cancelgate-reload-\(UUID().uuidString).json")
        try Data(#"{"upstreams": {"m": {"provider": "meibel", "base_url": "http://127.0.0.1:9"}}}"#.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let held = DispatchSemaphore(value: 0)
        let entered = AsyncStream<Void>.makeStream()
        let source = ConfigSource(
            path: file.path,
            environment: {
                entered.continuation.yield()
                held.wait()
                return [:]
            })
        let config = RoutesConfig(upstreams: [UpstreamConfig(name: "k", provider: .kubiya, baseURL: "http://127.0.0.1:9")])
        let live = LiveConfiguration(config: config, transport: NoTransport(), source: source)
        // A starved pool could not even run this test's time limit: a plain thread ends the
        // process instead, saying why.
        let finished = DispatchSemaphore(value: 0)
        Thread {
            if finished.wait(timeout: .now() + 30) == .timedOut {
                print("ReloadOffPoolTests: reloads blocked Swift's cooperative pool; no other task ran for 30 s")
                abort()
            }
        }.start()
        // Far more reloads than the pool has threads: run on the pool, the one held and the others
        // waiting for it would block every thread.
        let count = 64
        let reloads = Task {
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<count {
                    group.addTask {
                        if case .reloaded = await live.reload(logger: Logger(label: "test")) { return true }
                        return false
                    }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
        }
        var arrivals = entered.stream.makeAsyncIterator()
        _ = await arrivals.next()
        // Work that needs the pool still runs while every reload waits.
        let sums = await withTaskGroup(of: Int.self) { group in
            for n in 0..<(count * 4) { group.addTask { (0...n).reduce(0, +) } }
            return await group.reduce(0, +)
        }
        finished.signal()
        #expect(sums == (0..<(count * 4)).map { $0 * ($0 + 1) / 2 }.reduce(0, +))
        for _ in 0..<count { held.signal() }
        let outcomes = await reloads.value
        #expect(outcomes == Array(repeating: true, count: count))
        #expect(live.current.config.upstreams.map(\.name) == ["m"])
    }
}
