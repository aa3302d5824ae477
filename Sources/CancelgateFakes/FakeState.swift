#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Everything the fake providers know: seeded runs, received calls, injected faults and latency.
/// Provider files add their state transitions as extensions, so a batch is processed atomically;
/// `FakeState+Faults.swift` holds the fault rules.
public actor FakeState {
    /// provider → lookup key → provider-native status.
    var runs: [FakeProvider: [String: String]] = [:]
    var cancelCounts: [FakeProvider: [String: Int]] = [:]
    var received: [FakeProvider: [FakeCall]] = [:]
    /// provider → its fault rules, in the order they were added.
    var rules: [FakeProvider: [FaultRule]] = [:]
    /// provider → calls a fault was applied to.
    var injected: [FakeProvider: Int] = [:]
    /// Decides every probability below 1; restarted from `faultSeed` by `setSeed` and `reset`.
    var random: SeededGenerator
    /// The seed the fault decisions started from (print it to replay a chaos run).
    public internal(set) var faultSeed: UInt64
    var latency: [FakeProvider: Duration]
    let autoCreate: Bool
    /// Issued C1 access token → when it stops being accepted.
    var c1Tokens: [String: ContinuousClock.Instant] = [:]
    var c1TokenCount = 0
    var hangs: [ObjectIdentifier: HangLatch] = [:]
    /// provider → calls being handled now, and the most ever handled at once.
    var inFlight: [FakeProvider: Set<UInt64>] = [:]
    var peakInFlight: [FakeProvider: Int] = [:]
    var nextCallTicket: UInt64 = 0
    var heldWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    /// Asynchronous stops (`FakeState+Stops.swift`): accepted cancels not yet final, the delays, end times.
    var pendingStops: [FakeProvider: [String: PendingStop]] = [:]
    var stopDelays: [FakeProvider: Duration] = [:]
    var runStopDelays: [FakeProvider: [String: Duration]] = [:]
    var endTimes: [FakeProvider: [String: Date]] = [:]

    /// - Parameters:
    ///   - autoCreate: an unknown well-formed ID is treated as a running run (benchmarks, chaos test).
    ///   - seed: starts the generator that decides fault probabilities; the same seed and the same calls in the
    ///     same order give the same decisions.
    ///   - faults: fault rules in place from the start (see `addFaultRule`).
    public init(
        latency: [FakeProvider: Duration] = [:], autoCreate: Bool = false, seed: UInt64 = 0, faults: [FakeProvider: [FaultRule]] = [:]
    ) {
        self.latency = latency
        self.autoCreate = autoCreate
        self.faultSeed = seed
        self.random = SeededGenerator(seed: seed)
        self.rules = faults
    }

    // MARK: Seeding and inspection

    /// Seeds a run with a provider-native status name (see each provider's file for the list).
    public func seed(_ provider: FakeProvider, id: String, status: String) {
        runs[provider, default: [:]][Self.key(provider, id)] = status
    }

    public func status(_ provider: FakeProvider, id: String) -> String? {
        settle(provider, Self.key(provider, id))
        return runs[provider]?[Self.key(provider, id)]
    }

    public func calls(_ provider: FakeProvider) -> [FakeCall] {
        received[provider] ?? []
    }

    /// Times this ID was actually moved to a cancelled state by a call.
    public func cancellations(_ provider: FakeProvider, id: String) -> Int {
        cancelCounts[provider]?[Self.key(provider, id)] ?? 0
    }

    /// The most calls of this provider the fakes were handling at one time.
    public func peakConcurrentCalls(_ provider: FakeProvider) -> Int {
        peakInFlight[provider] ?? 0
    }

    /// Successful answers of C1's token endpoint.
    public func tokensIssued() -> Int {
        c1TokenCount
    }

    // MARK: Latency and hangs

    /// Added to every call of that provider, before it is answered.
    public func setLatency(_ latency: Duration, for provider: FakeProvider) {
        self.latency[provider] = latency
    }

    /// Lets every call held by `.hang` go on; returns how many were held.
    @discardableResult
    public func releaseHangs() -> Int {
        let held = hangs.count
        for latch in hangs.values { latch.resume(.released) }
        hangs = [:]
        return held
    }

    /// Returns once at least `count` calls are being held by `.hang` (so a test can release them without a sleep).
    public func waitUntilHeld(_ count: Int = 1) async {
        guard hangs.count < count else { return }
        await withCheckedContinuation { heldWaiters.append((count, $0)) }
    }

    /// Forgets seeds, calls, counts, faults and injected counts, restarts the fault generator from `faultSeed`,
    /// and releases hangs. Keeps latency and issued C1 tokens (a gateway's cached token stays good across tests).
    public func reset() {
        runs = [:]
        cancelCounts = [:]
        received = [:]
        rules = [:]
        injected = [:]
        random = SeededGenerator(seed: faultSeed)
        c1TokenCount = 0
        peakInFlight = [:]
        pendingStops = [:]
        runStopDelays = [:]
        endTimes = [:]
        releaseHangs()
    }

    // MARK: Used by the routes

    func record(_ call: FakeCall) {
        received[call.provider, default: []].append(call)
    }

    /// A call is being handled; its ticket ends it (`callEnded`).
    func callStarted(_ provider: FakeProvider) -> CallTicket {
        nextCallTicket += 1
        inFlight[provider, default: []].insert(nextCallTicket)
        peakInFlight[provider] = max(peakInFlight[provider] ?? 0, inFlight[provider]?.count ?? 0)
        return CallTicket(provider: provider, id: nextCallTicket)
    }

    /// Idempotent: a fault that closes the connection ends its call before the close, so the
    /// client cannot send the next call while this one still counts.
    func callEnded(_ ticket: CallTicket) {
        inFlight[ticket.provider]?.remove(ticket.id)
    }

    func latency(for provider: FakeProvider) -> Duration? {
        latency[provider]
    }

    func addHang(_ latch: HangLatch) {
        hangs[ObjectIdentifier(latch)] = latch
        let held = hangs.count
        let ready = heldWaiters.filter { $0.count <= held }
        heldWaiters.removeAll { $0.count <= held }
        for waiter in ready { waiter.continuation.resume() }
    }

    func removeHang(_ latch: HangLatch) {
        hangs[ObjectIdentifier(latch)] = nil
    }

    /// The status of a known run, or (with `autoCreate`) of a new running one if `runningStatus` is given.
    func lookup(_ provider: FakeProvider, _ id: String, autoCreateAs runningStatus: String?) -> String? {
        let key = Self.key(provider, id)
        settle(provider, key)
        if let status = runs[provider]?[key] { return status }
        guard autoCreate, let runningStatus else { return nil }
        runs[provider, default: [:]][key] = runningStatus
        return runningStatus
    }

    func setStatus(_ provider: FakeProvider, _ id: String, _ status: String, countsAsCancellation: Bool) {
        let key = Self.key(provider, id)
        runs[provider, default: [:]][key] = status
        if countsAsCancellation {
            cancelCounts[provider, default: [:]][key, default: 0] += 1
            endTimes[provider, default: [:]][key] = Date()
        }
    }

    /// Kubiya looks executions up by UUID, so any spelling of one UUID names the same run.
    static func key(_ provider: FakeProvider, _ id: String) -> String {
        provider == .kubiya ? (KubiyaUUID.canonical(id) ?? id.lowercased()) : id
    }
}

/// One call being handled by a fake (for the in-flight count).
struct CallTicket: Sendable {
    let provider: FakeProvider
    let id: UInt64
}
