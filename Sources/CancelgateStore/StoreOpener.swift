internal import CancelgateWire
public import CancelgateCore
internal import Foundation
public import Logging
public import ServiceLifecycle

/// A store ready for a gateway: what to run beside it and what to do before serving.
public struct OpenedStore: Sendable {
    public let store: any CancelStore
    /// `sqlite cancelgate.db`, `postgres postgres://user@host:5432/db`: never a password.
    public let name: String
    /// To run in the gateway's ServiceGroup (PostgreSQL's connection pool).
    public let services: [any Service]
    /// Migrates and marks the records of dead processes interrupted, once `services` run
    /// (Hummingbird's `beforeServerStarts`). Throws a `StoreOpenError`.
    public let prepare: @Sendable (Logger) async throws -> Void
    public let close: @Sendable () async -> Void

    public init(
        store: any CancelStore, name: String, services: [any Service] = [], prepare: @escaping @Sendable (Logger) async throws -> Void = { _ in },
        close: @escaping @Sendable () async -> Void = {}
    ) {
        self.store = store
        self.name = name
        self.services = services
        self.prepare = prepare
        self.close = close
    }

    /// The `memory` store of a `server` section.
    public static func memory(_ server: ServerConfig) -> OpenedStore {
        OpenedStore(
            store: MemoryStore(keys: InMemoryIdempotencyStore(maxEntries: server.idempotencyMaxEntries, maxBytes: server.idempotencyMaxBytes)),
            name: "memory")
    }
}

/// "cannot open the store postgres://cancelgate@db:5432/cancelgate: connection refused".
public struct StoreOpenError: Error, CustomStringConvertible, Sendable {
    public let store: String
    public let reason: String
    public var description: String { "cannot open the store \(store): \(reason)" }
}

public enum StoreOpener {
    /// How long `prepare` waits for PostgreSQL at start before `serve` gives up.
    public static let startTimeout: Duration = .seconds(20)

    /// Opens the configured store. SQLite is opened, migrated and recovered here (a file is
    /// quick, and a second process on it is refused at once); PostgreSQL in `prepare`, once its
    /// client runs.
    public static func open(_ config: RoutesConfig, logger: Logger) async throws(StoreOpenError) -> OpenedStore {
        switch config.store.backend {
        case .memory:
            return .memory(config.server)
        case .sqlite(let path):
            let name = "sqlite \(path)"
            do {
                let driver = try await SQLiteDriver.open(path: path, logger: logger)
                let store = SQLStore(driver: driver)
                do {
                    let applied = try await store.migrate()
                    // The file is this process's alone (SQLiteDriver's lock): whatever is still
                    // running was left by a process that died.
                    let now = RecordTime.nowMs()
                    let interrupted = try await store.interruptRunning(leaseEndedBeforeMs: .max, nowMs: now)
                    try await store.freeRunningKeys()
                    logStart(logger, name: name, applied: applied, interrupted: interrupted)
                } catch {
                    await store.close()
                    throw error
                }
                return OpenedStore(store: store, name: name, close: { await store.close() })
            } catch {
                throw StoreOpenError(store: name, reason: StoreErrorText.describe(error))
            }
        case .postgres(let target, let poolSize):
            let name = "postgres \(target)"
            let driver = PostgresDriver(target: target, poolSize: poolSize, logger: logger)
            let store = SQLStore(driver: driver)
            return OpenedStore(
                store: store, name: name, services: [driver.client],
                prepare: { logger throws(StoreOpenError) in
                    do {
                        let (applied, interrupted) = try await BoundedWait.run(startTimeout) {
                            let applied = try await store.migrate()
                            let now = RecordTime.nowMs()
                            return (applied, try await store.interruptRunning(leaseEndedBeforeMs: now, nowMs: now))
                        }
                        logStart(logger, name: name, applied: applied, interrupted: interrupted)
                    } catch is BoundedWait.TimedOut {
                        throw StoreOpenError(store: name, reason: "no answer within \(startTimeout)")
                    } catch {
                        throw StoreOpenError(store: name, reason: StoreErrorText.describe(error))
                    }
                })
        }
    }

    private static func logStart(_ logger: Logger, name: String, applied: [Int64], interrupted: [String]) {
        logger.info(
            "store open",
            metadata: [
                "store": "\(name)", "store.migrations_applied": "\(applied.map(String.init).joined(separator: ","))",
                "store.records_interrupted": "\(interrupted.count)",
            ])
        if !interrupted.isEmpty {
            logger.warning(
                "records left running by a process that died are marked interrupted",
                metadata: ["request.ids": "\(interrupted.prefix(20).joined(separator: ","))", "count": "\(interrupted.count)"])
        }
    }
}
