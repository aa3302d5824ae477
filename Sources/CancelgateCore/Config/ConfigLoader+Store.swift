internal import Foundation

/// `/store` (CONTRACT §5): which keys are allowed depends on `type`, so the type is read first.
/// Checked without connecting: `cancelgate check` never opens a database.
extension ConfigReader {
    typealias StoreType = ConfigLoader.StoreType

    /// Absent: the embedded SQLite default. A problem is reported and the default returned.
    mutating func store(_ root: ConfigObject) -> StoreConfig {
        guard let value = root["store"] else { return StoreConfig() }
        guard let store = object(value, at: root.path("store")) else { return StoreConfig() }
        let types = ConfigLoader.storeTypes.joined(separator: ", ")
        let type = store["type"] == nil ? StoreType.sqlite : string(store, "type")
        if let type, ConfigLoader.storeKeys[type] == nil {
            report(store.path("type"), "unknown store type \"\(type)\"; must be one of: \(types)")
        }
        guard let type, let allowed = ConfigLoader.storeKeys[type] else {
            rejectUnknownKeys(store, allowed: Keys.storeAny)
            return StoreConfig()
        }
        rejectUnknownKeys(store, allowed: allowed, context: " for store type \(type)")
        let backend: StoreConfig.Backend
        switch type {
        case StoreType.postgres:
            let target = postgresTarget(store)
            let poolSize = int(store, "pool_size", in: Limits.poolSize, default: StoreConfig.defaultPoolSize) ?? StoreConfig.defaultPoolSize
            backend = target.map { .postgres($0, poolSize: poolSize) } ?? .memory
        case StoreType.memory:
            backend = .memory
        default:
            backend = .sqlite(path: string(store, "path", nonEmpty: true) ?? StoreConfig.defaultSQLitePath)
        }
        return StoreConfig(
            backend: backend,
            retentionDays: int(store, "retention_days", in: Limits.retentionDays, default: StoreConfig.defaultRetentionDays)
                ?? StoreConfig.defaultRetentionDays,
            sweepIntervalMs: int(store, "sweep_interval_ms", in: Limits.sweepIntervalMs, default: StoreConfig.defaultSweepIntervalMs)
                ?? StoreConfig.defaultSweepIntervalMs,
            leaseGraceMs: int(store, "lease_grace_ms", in: Limits.leaseGraceMs, default: StoreConfig.defaultLeaseGraceMs)
                ?? StoreConfig.defaultLeaseGraceMs)
    }

    /// The URL is a secret: messages name its path and what is wrong, never its text.
    private mutating func postgresTarget(_ store: ConfigObject) -> PostgresTarget? {
        guard let url = string(store, "url", required: true, nonEmpty: true) else { return nil }
        switch PostgresTarget.parse(url) {
        case .success(let target): return target
        case .failure(let error):
            report(store.path("url"), error.message)
            return nil
        }
    }
}
