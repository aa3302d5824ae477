import Foundation
import Testing

@testable import CancelgateCore

/// The real clock's sleeps (every request's deadline, the store's bounded waits) must let go of
/// their timers as soon as they are cancelled: `Task.sleep` kept each until its deadline, so a
/// gateway under load held requests/s × request_timeout_ms of them.
@Suite struct PromptSleepTests {
    /// Weak references to the timers of the sleeps made while `watching` runs.
    final class Timers: Sendable {
        private struct Weak: @unchecked Sendable { weak var object: AnyObject? }
        private let seen = NSLock()
        nonisolated(unsafe) private var timers: [Weak] = []

        var count: Int { seen.withLock { timers.count } }
        var alive: Int { seen.withLock { timers.filter { $0.object != nil }.count } }

        func watching<T>(_ body: () async throws -> T) async rethrows -> T {
            try await PromptSleep.$observer.withValue({ [self] timer in seen.withLock { timers.append(Weak(object: timer)) } }, operation: body)
        }
    }

    /// Polls (1 ms pauses, at most 30 s) until `condition` holds.
    static func eventually(_ condition: () -> Bool) async -> Bool {
        let end = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return condition()
    }

    @Test func aThousandCancelledSleepsEndAtOnceAndLeaveNoTimerBehind() async throws {
        let timers = Timers()
        let far = ContinuousClock.now + .seconds(3600)
        let outcomes = await timers.watching {
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<1000 {
                    group.addTask {
                        do {
                            try await PromptSleep.sleep(until: far)
                            return false
                        } catch {
                            return error is CancellationError
                        }
                    }
                }
                // Some are cancelled before they start waiting, most while they wait.
                while timers.count < 500 { await Task.yield() }
                group.cancelAll()
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
        }
        #expect(outcomes.count == 1000)
        #expect(outcomes.allSatisfy { $0 }, "every sleep ended with CancellationError")
        #expect(timers.count == 1000)
        // Their hour-long timers are gone with them, not held until the deadline.
        #expect(await Self.eventually { timers.alive == 0 }, "\(timers.alive) timers outlived their cancelled sleeps")
    }

    @Test func aSleepEndsAtItsDeadlineNotBefore() async throws {
        let timers = Timers()
        let deadline = ContinuousClock.now + .milliseconds(30)
        try await timers.watching { try await PromptSleep.sleep(until: deadline) }
        #expect(ContinuousClock.now >= deadline)
        #expect(timers.count == 1)
        #expect(await Self.eventually { timers.alive == 0 })
    }

    @Test func aPastDeadlineReturnsAndACancelledTaskThrows() async throws {
        try await PromptSleep.sleep(until: .now - .seconds(1))
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await PromptSleep.sleep(until: .now + .seconds(3600))
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func theUpstreamClockSleepsThisWay() async throws {
        let timers = Timers()
        let task = await timers.watching { Task { try await UpstreamClock.continuous.sleep(for: .seconds(3600)) } }
        #expect(await Self.eventually { timers.count == 1 }, "the continuous clock's sleep is a PromptSleep")
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(await Self.eventually { timers.alive == 0 })
    }

    /// A cancelled sleep leaves the queue at once (nothing is held until its deadline), and
    /// sleeps that come later than the earliest one do not set the timer again: a request's
    /// deadline costs a heap insertion, not a timer.
    @Test func cancelledSleepsLeaveTheQueueAndLaterOnesDoNotSetTheTimer() async throws {
        let queue = SleepQueue()
        let start = ContinuousClock.now + .seconds(3600)
        var tasks: [Task<Void, any Error>] = []
        for index in 0..<200 {
            tasks.append(Task { try await PromptSleep.sleep(until: start + .milliseconds(index), in: queue) })
            #expect(await Self.eventually { queue.waiting == index + 1 })
        }
        #expect(queue.timerSettings == 1, "each later sleep set the timer again")
        let earlier = Task { try await PromptSleep.sleep(until: start - .seconds(1), in: queue) }
        #expect(await Self.eventually { queue.waiting == 201 })
        #expect(queue.timerSettings == 2, "an earlier sleep did not set the timer")
        earlier.cancel()
        await #expect(throws: CancellationError.self) { try await earlier.value }
        let settings = queue.timerSettings
        let later = Task { try await PromptSleep.sleep(until: start + .seconds(60), in: queue) }
        #expect(await Self.eventually { queue.waiting == 201 })
        #expect(queue.timerSettings == settings, "a later sleep set the timer")
        for task in tasks { task.cancel() }
        for task in tasks { await #expect(throws: CancellationError.self) { try await task.value } }
        #expect(queue.waiting == 1, "cancelled sleeps are out of the queue when they end")
        later.cancel()
        await #expect(throws: CancellationError.self) { try await later.value }
        #expect(queue.waiting == 0)
    }

    /// Sleeps begun in any order of deadlines all end, each at or after its own deadline, also
    /// when an earlier one was cancelled and the timer was left set for it.
    @Test func sleepsInAnyOrderEndAtTheirDeadlinesNeverEarly() async throws {
        let queue = SleepQueue()
        // Deadlines with room for a loaded machine to start the tasks before them (under the
        // thread sanitizer, in the whole suite, half a second was not always enough).
        let base = ContinuousClock.now + .seconds(3)
        // An early sleep, cancelled: the timer stays set for it and fires with nothing due.
        let cancelled = Task { try await PromptSleep.sleep(until: base - .seconds(1), in: queue) }
        #expect(await Self.eventually { queue.waiting == 1 })
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        let offsets = [35, 5, 50, 20, 5, 45, 10, 30, 0, 25, 15, 40]
        let ends = await withTaskGroup(of: (Int, ContinuousClock.Instant?).self) { group in
            for (index, offset) in offsets.enumerated() {
                group.addTask {
                    do {
                        try await PromptSleep.sleep(until: base + .milliseconds(offset), in: queue)
                        return (index, ContinuousClock.now)
                    } catch {
                        return (index, nil)
                    }
                }
            }
            return await group.reduce(into: [Int: ContinuousClock.Instant?]()) { $0[$1.0] = $1.1 }
        }
        for (index, offset) in offsets.enumerated() {
            let end = try #require(ends[index] ?? nil, "sleep \(index) did not end normally")
            #expect(end >= base + .milliseconds(offset), "sleep \(index) ended before its deadline")
        }
        #expect(queue.waiting == 0)
    }
}
