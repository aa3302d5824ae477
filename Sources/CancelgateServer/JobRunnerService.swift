public import CancelgateCore
internal import CancelgateWire
internal import Foundation
public import Logging
internal import CurlClient
public import ServiceLifecycle

/// Runs jobs (CONTRACT §6): claims up to `server.max_running_jobs` of them from the store and
/// works through each in chunks of at most `max_items`, every chunk through the same planning,
/// pipeline and per-upstream limits as `POST /v1/cancel`.
///
/// For each chunk: the lease is renewed and the chunk marked in flight (before its first call),
/// the chunk is cancelled (the lease renewed every third of its length meanwhile), and its
/// results are committed in one transaction that checks the lease is still this runner's. A
/// runner that lost its lease writes nothing. A runner that takes over a job whose runner died
/// treats that runner's chunk in flight as sent with its answers lost (`CancelEntry.sentBefore`):
/// each item's status is read before its cancel is sent again (§7).
///
/// At graceful shutdown a job's chunk in flight is finished and committed, then the job is
/// handed back (queued, lease released) for any replica to go on with.
public struct JobRunnerService: Service {
    public struct Settings: Sendable {
        /// How long a claim holds without renewal; another replica takes the job after it.
        public var lease: Duration
        /// Between two looks for claimable jobs when this runner has room.
        public var pollInterval: Duration

        public init(lease: Duration = .seconds(10), pollInterval: Duration = .milliseconds(250)) {
            self.lease = lease
            self.pollInterval = pollInterval
        }
    }

    /// How often the jobs gauge is counted from the store.
    static let countEvery: Duration = .seconds(5)

    let store: any JobStore
    let live: LiveConfiguration
    let logger: Logger
    let settings: Settings
    /// This process's name in `lease_owner`.
    let owner: String
    /// Finished once the store is migrated.
    let prepared: AsyncStream<Void>

    public init(store: any JobStore, live: LiveConfiguration, settings: Settings = .init(), logger: Logger, prepared: AsyncStream<Void>) {
        self.store = store
        self.live = live
        self.settings = settings
        self.logger = logger
        self.prepared = prepared
        self.owner = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
    }

    var leaseMs: Int64 { Int64(settings.lease.components.seconds * 1000 + settings.lease.components.attoseconds / 1_000_000_000_000_000) }

    public func run() async throws {
        for await _ in prepared {}
        let active = ActiveJobs()
        var counted: ContinuousClock.Instant?
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                if counted.map({ ContinuousClock.now - $0 >= Self.countEvery }) ?? true {
                    counted = .now
                    if let counts = try? await store.activeJobCounts() { live.metrics.jobs(counts.map { ($0.key.rawValue, $0.value) }) }
                }
                let room = live.current.config.server.maxRunningJobs - active.count.withLock { $0 }
                if room > 0, let lease = await claim() {
                    active.count.withLock { $0 += 1 }
                    group.addTask {
                        await runJob(lease)
                        active.count.withLock { $0 -= 1 }
                    }
                    continue  // maybe another is waiting
                }
                _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.pollInterval) }
            }
        }
    }

    private func claim() async -> JobLease? {
        let now = RecordTime.nowMs()
        do {
            guard let lease = try await store.claimJob(owner: owner, nowMs: now, leaseUntilMs: now + leaseMs) else { return nil }
            if lease.takenOver { live.metrics.jobTakenOver() }
            logger.info(
                lease.takenOver ? "job taken over" : "job started",
                metadata: [
                    "job.id": "\(lease.job.jobID)", "job.done": "\(lease.job.done)", "job.total": "\(lease.job.total)",
                    "job.in_doubt_chunk": "\(lease.inFlight.map { "\($0.lowerBound)...\($0.upperBound)" } ?? "none")",
                ])
            return lease
        } catch {
            live.metrics.storeError(operation: "job_claim")
            logger.error("claiming a job failed; tried again later", metadata: ["error": "\(StoreErrorText.describe(error))"])
            return nil
        }
    }

    /// Works through one job until it ends, its lease is lost, or the process shuts down.
    private func runJob(_ claimed: JobLease) async {
        var lease = claimed
        var inDoubt = claimed.inFlight
        let pacer = claimed.job.ratePerSecond.map(CallPacer.init)
        while true {
            do {
                if Task.isShuttingDownGracefully {
                    try await store.releaseJob(lease)
                    logger.info("job handed back at shutdown", metadata: ["job.id": "\(lease.job.jobID)", "job.done": "\(lease.job.done)"])
                    return
                }
                guard try await timed("renew", { try await renew(&lease, inFlight: inDoubt) }) else { return lost(lease) }
                if lease.cancelRequested { return try await stop(lease) }
                let runtime = live.current
                let chunkSize = Self.chunkSize(runtime.config.server, lease.job)
                let entries = try await timed("read") { [lease] in try await store.pendingEntries(jobID: lease.job.jobID, from: lease.nextIndex, limit: chunkSize) }
                guard let first = entries.first, let last = entries.last else {
                    // Nothing left to send; the rest (duplicates) was written with its firsts.
                    _ = try await store.commitResults([], lease: &lease, nextIndex: lease.job.total, nowMs: RecordTime.nowMs())
                    if try await store.finishJob(lease, state: .completed, nowMs: RecordTime.nowMs()) {
                        logger.info("job completed", metadata: ["job.id": "\(lease.job.jobID)", "job.total": "\(lease.job.total)"])
                    }
                    return
                }
                let range = first.index...last.index
                // In flight before the first call: after a crash, these are the items in doubt.
                let marked = inDoubt.map { min($0.lowerBound, range.lowerBound)...max($0.upperBound, range.upperBound) } ?? range
                guard try await timed("mark", { try await renew(&lease, inFlight: marked) }) else {
                    return lost(lease)
                }
                let request = CancelRequest(
                    requestID: "\(lease.requestID)-\(range.lowerBound)", reason: lease.job.reason,
                    entries: entries.map { CancelEntry(id: $0.id, upstream: $0.upstream, sentBefore: inDoubt?.contains($0.index) == true) },
                    allowedUpstreams: lease.allowedUpstreams, pacer: pacer, sendWindow: Self.sendWindow(runtime.config.server))
                let report = await whileRenewing(lease) { await runtime.service.cancel(request, logger: logger) }
                var results = zip(entries, report.results).map { entry, result in
                    var result = result
                    result.index = entry.index
                    return result
                }
                // What the deadline stopped before it was sent is not failed but queued again: a
                // job waits its turn at the upstreams' limits (shared with every request).
                let unsent = results.first(where: \.wasNeverSent)?.index
                results.removeAll(where: \.wasNeverSent)
                let committed = try await timed("commit") { [results] in
                    try await store.commitResults(results, lease: &lease, nextIndex: unsent ?? last.index + 1, nowMs: RecordTime.nowMs())
                }
                guard committed else {
                    return lost(lease)
                }
                inDoubt = nil
                if results.isEmpty {
                    // Nothing got out before the deadline: the upstreams are busy; wait, then try again.
                    _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                }
                for (upstream, count) in Dictionary(grouping: results.compactMap(\.upstream), by: { $0 }).mapValues(\.count) {
                    live.metrics.jobItemsDone(upstream: upstream, count: count)
                }
            } catch {
                live.metrics.storeError(operation: "job_chunk")
                logger.error(
                    "a job's store write failed; the chunk is tried again", metadata: ["job.id": "\(lease.job.jobID)", "error": "\(StoreErrorText.describe(error))"])
                _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            }
        }
    }

    /// A store call of a chunk, its duration counted (`cancelgate_job_store_duration_seconds`).
    private func timed<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        let start = ContinuousClock.now
        defer { live.metrics.jobStoreCall(operation: operation, duration: ContinuousClock.now - start) }
        return try await body()
    }

    private func renew(_ lease: inout JobLease, inFlight: ClosedRange<Int>?) async throws -> Bool {
        try await store.renewJob(&lease, leaseUntilMs: RecordTime.nowMs() + leaseMs, inFlight: inFlight)
    }

    private func lost(_ lease: JobLease) {
        logger.warning("a job's lease passed to another runner; this one stops", metadata: ["job.id": "\(lease.job.jobID)"])
    }

    /// Runs `body` while renewing the lease every third of its length.
    private func whileRenewing<T: Sendable>(_ lease: JobLease, _ body: @escaping @Sendable () async -> T) async -> T {
        await withTaskGroup(of: T?.self) { group in
            group.addTask {
                var copy = lease
                while !Task.isCancelled {
                    try? await Task.sleep(for: settings.lease / 3)
                    if Task.isCancelled { break }
                    _ = try? await renew(&copy, inFlight: copy.inFlight)
                }
                return nil
            }
            group.addTask { await body() }
            var answer: T?
            for await value in group {
                if let value {
                    answer = value
                    group.cancelAll()
                }
            }
            return answer!
        }
    }

    /// Stopped by `POST /v1/jobs/{id}/cancel`: every item without a result ends `failed`,
    /// `job_cancelled`, retryable (none of them was sent), then the job `cancelled`.
    private func stop(_ claimed: JobLease) async throws {
        var lease = claimed
        while true {
            let page = try await store.unfinishedEntries(jobID: lease.job.jobID, from: 0, limit: 1000)
            if page.isEmpty { break }
            let results = page.map { entry in
                ItemResult(
                    index: entry.index, id: entry.id, upstream: entry.upstream, outcome: .failed, retryable: true, attempts: 0,
                    error: ItemError(.jobCancelled, "The job was stopped before this item was sent; nothing was sent."))
            }
            guard try await store.commitResults(results, lease: &lease, nextIndex: lease.nextIndex, nowMs: RecordTime.nowMs()) else { return lost(lease) }
        }
        if try await store.finishJob(lease, state: .cancelled, nowMs: RecordTime.nowMs()) {
            logger.info("job cancelled", metadata: ["job.id": "\(lease.job.jobID)", "job.done": "\(lease.job.done)"])
        }
    }

    /// How long a chunk's calls may start: half the request deadline, so those in flight at its
    /// end still have the other half to answer. What did not start is queued again.
    static func sendWindow(_ server: ServerConfig) -> Duration {
        server.requestTimeout / 2
    }

    /// A job's chunk: `max_items`, or with `rate_per_second` what that rate sends in a third of
    /// the request deadline (so a chunk's calls fit in it), at least one.
    static func chunkSize(_ server: ServerConfig, _ job: Job) -> Int {
        guard let rate = job.ratePerSecond else { return server.maxItems }
        return max(1, min(server.maxItems, Int(rate * Double(server.requestTimeoutMs) / 3000)))
    }
}

extension ItemResult {
    /// Failed before its call was sent, only for want of time: the request's deadline passed
    /// while the call waited for the upstream's concurrency or rate limit.
    var wasNeverSent: Bool {
        outcome == .failed && attempts == 0 && (error?.code == .deadlineExceeded || error?.code == .rateLimited)
    }
}

/// Jobs this runner works on now.
private final class ActiveJobs: Sendable {
    let count = Locked(0)
}
