public import CancelgateWire
public import Logging

/// Between the request path and the store: it makes sure a cancel's answer never waits on, or
/// fails because of, the store (CONTRACT §5).
///
/// - A record write is tried at once, for at most `writeTimeout`; if the store refuses it or does
///   not answer, it joins a bounded queue that `retryPending` (the maintenance service) empties
///   in order, and the failure is logged and counted. Writes of a request whose earlier write is
///   queued are queued behind it, so a record is never completed before it is started.
/// - A key is claimed from the store for at most `claimTimeout`; if the store cannot answer, the
///   key is checked in this process only (`fallbackKeys`), which still holds it against retries
///   that reach this replica, and a warning says so.
public actor RecordKeeper {
    /// Long enough for a healthy store on a loaded machine (a timed-out write still goes on and
    /// usually lands); short enough that a partitioned database holds an answer for seconds,
    /// not for the request's whole deadline. Only the first request of an outage waits.
    public static let writeTimeout: Duration = .seconds(2)
    public static let claimTimeout: Duration = .seconds(2)
    public static let defaultMaxPending = 1000

    enum Write: Sendable {
        case started(CancelRecord)
        case finished(CancelRecord, KeyCompletion?)
        case release(scope: String, key: String, recordID: String)

        var name: String {
            switch self {
            case .started: "record_start"
            case .finished: "record_finish"
            case .release: "key_release"
            }
        }

        var recordID: String {
            switch self {
            case .started(let record), .finished(let record, _): record.recordID
            case .release(_, _, let recordID): recordID
            }
        }
    }

    public nonisolated let store: any CancelStore
    public nonisolated let metrics: GatewayMetrics
    let logger: Logger
    let maxPending: Int
    private let fallbackKeys: InMemoryIdempotencyStore
    private var pending: [Write] = []
    /// Set when the store failed or did not answer, cleared when a write lands again: while
    /// set, writes queue and keys are checked locally at once, so only the first request of an
    /// outage waits (at most `claimTimeout` + `writeTimeout`).
    private var storeDown = false
    /// Record IDs whose claims were answered by `fallbackKeys`, so their completion goes there.
    private var fallbackClaims: Set<String> = []

    public init(store: any CancelStore, metrics: GatewayMetrics = .disabled, logger: Logger, maxPending: Int = defaultMaxPending, fallbackKeys: InMemoryIdempotencyStore) {
        self.store = store
        self.metrics = metrics
        self.logger = logger
        self.maxPending = maxPending
        self.fallbackKeys = fallbackKeys
    }

    /// Writes waiting for the store (tests, `/metrics`).
    public var pendingCount: Int { pending.count }

    // MARK: Keys

    public func claim(_ claim: KeyClaim) async -> IdempotencyBegin {
        let store = store
        do {
            guard !storeDown else { throw StoreDown() }
            return try await bounded(Self.claimTimeout, cancelOnTimeout: false) { try await store.claimKey(claim) }
        } catch {
            if error is StoreDown {
                metrics.storeError(operation: "key_claim")
            } else {
                failed("key_claim", error, recordID: claim.recordID)
                storeDown = true
            }
            logger.warning(
                "store unavailable: Idempotency-Key checked by this process only until it is back",
                metadata: ["store.type": "\(store.kind)", "request.record_id": "\(claim.recordID)"])
            fallbackClaims.insert(claim.recordID)
            return await fallbackKeys.begin(scope: claim.scope, key: claim.key, fingerprint: claim.fingerprint)
        }
    }

    /// The request that claimed the key has no report (it failed before one existed).
    public func release(scope: String, key: String, recordID: String) async {
        if fallbackClaims.remove(recordID) != nil {
            await fallbackKeys.abandon(scope: scope, key: key)
        }
        // Also in the store: a claim that timed out may still have landed there.
        await write(.release(scope: scope, key: key, recordID: recordID))
    }

    // MARK: Records

    public func started(_ record: CancelRecord) async {
        await write(.started(record))
    }

    public func finished(_ record: CancelRecord, completing key: KeyCompletion?) async {
        if let completion = key, fallbackClaims.remove(record.recordID) != nil {
            await fallbackKeys.complete(scope: completion.scope, key: completion.key, fingerprint: completion.fingerprint, report: completion.report)
        }
        // The completion goes to the store in every case: a claim that timed out may still have
        // landed there, and completing it (only if this request owns it) frees it at once.
        await write(.finished(record, key))
    }

    private func write(_ write: Write) async {
        // Behind an earlier write of the same request (order matters: start before finish), or
        // while the store is known to be down.
        if storeDown || pending.contains(where: { $0.recordID == write.recordID }) {
            enqueue(write)
            return
        }
        do {
            try await attempt(write)
        } catch {
            failed(write.name, error, recordID: write.recordID)
            storeDown = true
            enqueue(write)
        }
    }

    private func attempt(_ write: Write) async throws {
        let store = store
        try await bounded(Self.writeTimeout, cancelOnTimeout: false) {
            switch write {
            case .started(let record): try await store.recordStarted(record)
            case .finished(let record, let key): try await store.recordFinished(record, completing: key)
            case .release(let scope, let key, let recordID): try await store.releaseKey(scope: scope, key: key, recordID: recordID)
            }
        }
    }

    /// `operation` within `timeout` (BoundedWait), or simply run when the store cannot stall.
    private func bounded<T: Sendable>(
        _ timeout: Duration, cancelOnTimeout: Bool, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        if store.answersPromptly { return try await operation() }
        return try await BoundedWait.run(timeout, cancelOnTimeout: cancelOnTimeout, operation)
    }

    private func enqueue(_ write: Write) {
        if pending.count >= maxPending {
            let dropped = pending.removeFirst()
            metrics.storeError(operation: "queue_full")
            logger.error(
                "store unavailable and the retry queue is full: the oldest pending write is dropped",
                metadata: ["store.type": "\(store.kind)", "store.operation": "\(dropped.name)", "request.record_id": "\(dropped.recordID)"])
        }
        pending.append(write)
        metrics.storePendingWrites(pending.count)
    }

    /// Retries the queued writes in order; stops at the first that fails again. Returns how many
    /// are left.
    @discardableResult
    public func retryPending() async -> Int {
        if storeDown && pending.isEmpty {
            // Nothing to write, but a claim found the store down: a read says whether it is back.
            let store = store
            do {
                _ = try await BoundedWait.run(Self.writeTimeout) { try await store.record(requestID: "") }
                storeDown = false
                logger.notice("store back", metadata: ["store.type": "\(store.kind)"])
            } catch {
                return 0
            }
        }
        while let next = pending.first {
            do {
                try await attempt(next)
            } catch {
                failed(next.name, error, recordID: next.recordID)
                break
            }
            pending.removeFirst()
            metrics.storePendingWrites(pending.count)
            if pending.isEmpty {
                storeDown = false
                logger.notice("store back: every pending record write landed", metadata: ["store.type": "\(store.kind)"])
            }
        }
        return pending.count
    }

    private struct StoreDown: Error {}

    private func failed(_ operation: String, _ error: any Error, recordID: String) {
        metrics.storeError(operation: operation)
        // The error's own description: the drivers' never carry the password (PSQLError prints
        // a generic text on purpose); our configuration never puts it in one.
        logger.error(
            "store operation failed; it is retried in the background",
            metadata: [
                "store.type": "\(store.kind)", "store.operation": "\(operation)", "request.record_id": "\(recordID)",
                "error": "\(StoreErrorText.describe(error))",
            ])
    }
}
