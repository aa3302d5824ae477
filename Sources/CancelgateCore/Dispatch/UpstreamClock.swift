/// The time every timing rule of the call path reads: the dispatcher's deadline, the layers'
/// waits, the token cache's expiry. Production uses `ContinuousClock`; tests pass a manual clock
/// with the same instant type, so deadlines and waits run without real time passing.
struct UpstreamClock: Sendable {
    private let nowFunction: @Sendable () -> ContinuousClock.Instant
    private let sleepFunction: @Sendable (ContinuousClock.Instant) async throws -> Void

    init<C: Clock>(_ clock: C) where C.Instant == ContinuousClock.Instant, C: Sendable {
        nowFunction = { clock.now }
        sleepFunction = { try await clock.sleep(until: $0, tolerance: nil) }
    }

    /// The real clock. Its sleeps are `PromptSleep`s: a cancelled one lets go of its timer at
    /// once, which `Task.sleep` does only at the original deadline.
    static let continuous = UpstreamClock(now: { ContinuousClock.now }, sleep: { try await PromptSleep.sleep(until: $0) })

    private init(
        now: @escaping @Sendable () -> ContinuousClock.Instant, sleep: @escaping @Sendable (ContinuousClock.Instant) async throws -> Void
    ) {
        nowFunction = now
        sleepFunction = sleep
    }

    var now: ContinuousClock.Instant { nowFunction() }

    /// Throws `CancellationError` when the task is cancelled first.
    func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await sleepFunction(deadline)
    }

    func sleep(for duration: Duration) async throws {
        try await sleepFunction(now + duration)
    }
}
