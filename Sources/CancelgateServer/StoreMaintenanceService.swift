internal import CancelgateWire
internal import CancelgateCore
internal import Foundation
internal import Logging
public import ServiceLifecycle

/// The store's background work, every `store.sweep_interval_ms`: retry the record writes the
/// store refused, mark the records of processes that died `interrupted` (their lease is over),
/// and once an hour delete what is older than `retention_days`.
public struct StoreMaintenanceService: Service {
    static let retentionEvery: Duration = .seconds(3600)

    let keeper: RecordKeeper
    let live: LiveConfiguration
    let logger: Logger
    /// Finished once the store is migrated (`OpenedStore.prepare`): no sweep before the tables exist.
    let prepared: AsyncStream<Void>

    public func run() async throws {
        for await _ in prepared {}
        var lastRetention: ContinuousClock.Instant?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let store = live.current.config.store
            await sweep()
            if lastRetention.map({ ContinuousClock.now - $0 >= Self.retentionEvery }) ?? true {
                await deleteExpired(retention: store.retention)
                lastRetention = .now
            }
            let interval = Duration.milliseconds(store.sweepIntervalMs)
            _ = try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        // Last chance for writes still queued.
        await keeper.retryPending()
    }

    /// One pass: pending writes, then dead processes' records.
    func sweep() async {
        await keeper.retryPending()
        let now = RecordTime.nowMs()
        do {
            let interrupted = try await keeper.store.interruptRunning(leaseEndedBeforeMs: now, nowMs: now)
            if !interrupted.isEmpty {
                live.metrics.recordsInterrupted(interrupted.count)
                logger.warning(
                    "records left running by a process that died are marked interrupted",
                    metadata: ["request.ids": "\(interrupted.prefix(20).joined(separator: ","))", "count": "\(interrupted.count)"])
            }
        } catch {
            live.metrics.storeError(operation: "sweep")
            logger.error("store sweep failed; it runs again later", metadata: ["store.type": "\(keeper.store.kind)", "error": "\(StoreErrorText.describe(error))"])
        }
    }

    func deleteExpired(retention: TimeInterval) async {
        do {
            let deleted = try await keeper.store.deleteExpired(beforeMs: RecordTime.nowMs() - Int64(retention * 1000))
            if deleted > 0 { logger.info("old records deleted", metadata: ["count": "\(deleted)"]) }
        } catch {
            live.metrics.storeError(operation: "retention")
            logger.error("deleting old records failed; it runs again later", metadata: ["store.type": "\(keeper.store.kind)", "error": "\(StoreErrorText.describe(error))"])
        }
    }
}

