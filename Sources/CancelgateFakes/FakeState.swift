/// Everything the fake providers know: seeded runs, received calls, injected faults and latency.
/// Provider files add their state transitions as extensions, so a batch is processed atomically.
public actor FakeState {
    struct FaultRules {
        var all: FakeFault?
        var byID: [String: FakeFault] = [:]
    }

    /// provider → lookup key → provider-native status.
    var runs: [FakeProvider: [String: String]] = [:]
    var cancelCounts: [FakeProvider: [String: Int]] = [:]
    var received: [FakeProvider: [FakeCall]] = [:]
    var faults: [FakeProvider: FaultRules] = [:]
    var latency: [FakeProvider: Duration]
    let autoCreate: Bool
    /// Issued C1 access token → when it stops being accepted.
    var c1Tokens: [String: ContinuousClock.Instant] = [:]
    var c1TokenCount = 0
    var hangs: [ObjectIdentifier: HangLatch] = [:]
    var heldWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    /// - Parameter autoCreate: an unknown well-formed ID is treated as a running run (benchmarks, chaos test).
    public init(latency: [FakeProvider: Duration] = [:], autoCreate: Bool = false) {
        self.latency = latency
        self.autoCreate = autoCreate
    }

    // MARK: Seeding and inspection

    /// Seeds a run with a provider-native status name (see each provider's file for the list).
    public func seed(_ provider: FakeProvider, id: String, status: String) {
        runs[provider, default: [:]][Self.key(provider, id)] = status
    }

    public func status(_ provider: FakeProvider, id: String) -> String? {
        runs[provider]?[Self.key(provider, id)]
    }

    public func calls(_ provider: FakeProvider) -> [FakeCall] {
        received[provider] ?? []
    }

    /// Times this ID was actually moved to a cancelled state by a call.
    public func cancellations(_ provider: FakeProvider, id: String) -> Int {
        cancelCounts[provider]?[Self.key(provider, id)] ?? 0
    }

    /// Successful answers of C1's token endpoint.
    public func tokensIssued() -> Int {
        c1TokenCount
    }

    // MARK: Faults and latency

    /// nil `ids`: every cancel call of that provider (a nil fault then clears all of its faults);
    /// otherwise calls naming any of those IDs (exactly as named in the call).
    public func setFault(_ fault: FakeFault?, for provider: FakeProvider, ids: Set<String>? = nil) {
        guard let ids else {
            faults[provider] = fault.map { FaultRules(all: $0) }
            return
        }
        for id in ids {
            faults[provider, default: FaultRules()].byID[id] = fault
        }
    }

    /// Added to every call of that provider, before it is answered.
    public func setLatency(_ latency: Duration, for provider: FakeProvider) {
        self.latency[provider] = latency
    }

    /// Lets every call held by `.hang` go on.
    public func releaseHangs() {
        for latch in hangs.values { latch.resume(.released) }
        hangs = [:]
    }

    /// Returns once at least `count` calls are being held by `.hang` (so a test can release them without a sleep).
    public func waitUntilHeld(_ count: Int = 1) async {
        guard hangs.count < count else { return }
        await withCheckedContinuation { heldWaiters.append((count, $0)) }
    }

    /// Forgets seeds, calls, counts and faults, and releases hangs. Keeps latency and issued C1 tokens
    /// (a gateway's cached token stays good across tests).
    public func reset() {
        runs = [:]
        cancelCounts = [:]
        received = [:]
        faults = [:]
        c1TokenCount = 0
        releaseHangs()
    }

    // MARK: Used by the routes

    func record(_ call: FakeCall) {
        received[call.provider, default: []].append(call)
    }

    func latency(for provider: FakeProvider) -> Duration? {
        latency[provider]
    }

    func fault(for provider: FakeProvider, ids: [String]) -> FakeFault? {
        guard let rules = faults[provider] else { return nil }
        return ids.lazy.compactMap { rules.byID[$0] }.first ?? rules.all
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
        }
    }

    /// Kubiya looks executions up by UUID, so any spelling of one UUID names the same run.
    static func key(_ provider: FakeProvider, _ id: String) -> String {
        provider == .kubiya ? (KubiyaUUID.canonical(id) ?? id.lowercased()) : id
    }
}
