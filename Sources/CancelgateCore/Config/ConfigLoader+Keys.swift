/// The keys and ranges `routes.json` accepts, in one place: the loader reads them and the tests
/// hold `routes.schema.json` to them. Defaults are not here; they live on the config types.
extension ConfigLoader {
    /// Keys accepted by each object of `routes.json`, by JSON Pointer template (`*` stands for
    /// any upstream name or array index). `auth` objects depend on their `type`: see `authKeys`.
    /// Order is the order used in messages.
    public static let allowedKeys: [String: [String]] = [
        "": Keys.root,
        "/server": Keys.server,
        "/upstreams/*": Keys.upstream,
        "/upstreams/*/retry": Keys.retry,
        "/upstreams/*/rate_limit": Keys.rateLimit,
        "/routes/*": Keys.route,
        "/routes/*/match": Keys.match,
        "/clients/*": Keys.client,
        "/store": Keys.storeAny,
    ]

    /// Keys accepted by `/store`, by its `type`.
    public static let storeKeys: [String: [String]] = [
        StoreType.sqlite: ["type", "path"] + Keys.storeCommon,
        StoreType.postgres: ["type", "url", "pool_size"] + Keys.storeCommon,
        StoreType.memory: ["type"] + Keys.storeCommon,
    ]

    /// `store.type` values, in message order.
    public static let storeTypes = [StoreType.sqlite, StoreType.postgres, StoreType.memory]

    enum StoreType {
        static let sqlite = "sqlite"
        static let postgres = "postgres"
        static let memory = "memory"
    }

    /// Keys accepted by `/upstreams/*/auth`, by its `type`.
    public static let authKeys: [String: [String]] = [
        AuthType.bearer: ["type", "token"],
        AuthType.header: ["type", "name", "value"],
        AuthType.oauth2: ["type", "token_url", "client_id", "client_secret"],
        AuthType.none: ["type"],
    ]

    /// Ranges of the integer keys, by JSON Pointer template; an upper bound of `Int.max` means none.
    /// The schema's `minimum`/`maximum` are held to these by tests.
    public static let integerRanges: [String: ClosedRange<Int>] = [
        "/server/port": Limits.port,
        "/server/max_items": Limits.maxItems,
        "/server/max_body_bytes": Limits.maxBodyBytes,
        "/server/request_timeout_ms": Limits.requestTimeoutMs,
        "/server/idempotency_max_entries": Limits.idempotencyMaxEntries,
        "/server/idempotency_max_bytes": Limits.idempotencyMaxBytes,
        "/server/confirm_interval_ms": Limits.confirmIntervalMs,
        "/server/confirm_max_wait_ms": Limits.confirmMaxWaitMs,
        "/server/max_job_items": Limits.maxJobItems,
        "/server/max_job_body_bytes": Limits.maxJobBodyBytes,
        "/server/max_running_jobs": Limits.maxRunningJobs,
        "/upstreams/*/batch_size": Limits.batchSize,
        "/upstreams/*/concurrency": Limits.concurrency,
        "/upstreams/*/timeout_ms": Limits.timeoutMs,
        "/upstreams/*/retry/max_attempts": Limits.maxAttempts,
        "/upstreams/*/retry/base_delay_ms": Limits.delayMs,
        "/upstreams/*/retry/max_delay_ms": Limits.delayMs,
        "/upstreams/*/rate_limit/per_second": Limits.ratePerSecond,
        "/upstreams/*/rate_limit/burst": Limits.rateBurst,
        "/store/pool_size": Limits.poolSize,
        "/store/retention_days": Limits.retentionDays,
        "/store/sweep_interval_ms": Limits.sweepIntervalMs,
        "/store/lease_grace_ms": Limits.leaseGraceMs,
    ]

    /// `auth.type` values, in message order.
    public static let authTypes = [AuthType.bearer, AuthType.header, AuthType.oauth2, AuthType.none]

    enum AuthType {
        static let bearer = "bearer"
        static let header = "header"
        static let oauth2 = "oauth2_client_credentials"
        static let none = "none"
    }

    enum Keys {
        /// `$schema` lets an editor find `routes.schema.json`; the loader ignores its value.
        static let root = ["$schema", "server", "upstreams", "routes", "clients", "store"]
        static let server = ["host", "port", "max_items", "max_body_bytes", "request_timeout_ms", "default_reason", "idempotency_max_entries",
            "idempotency_max_bytes", "confirm_interval_ms", "confirm_max_wait_ms", "max_job_items", "max_job_body_bytes", "max_running_jobs",
        ]
        static let upstream = ["provider", "base_url", "auth", "mode", "batch_size", "concurrency", "timeout_ms", "retry", "rate_limit", "confirm", "read_in_doubt"]
        static let rateLimit = ["per_second", "burst"]
        static let retry = ["max_attempts", "base_delay_ms", "max_delay_ms"]
        static let route = ["match", "upstream"]
        static let match = ["prefix", "regex"]
        static let client = ["name", "token", "upstreams", "admin"]
        static let storeCommon = ["retention_days", "sweep_interval_ms", "lease_grace_ms"]
        /// Every key any `store` object may have, for checking one whose `type` is unusable.
        static let storeAny = ["type", "path", "url", "pool_size"] + storeCommon
        /// Every key any `auth` object may have, for checking one whose `type` is unusable.
        static let anyAuth = ["type", "token", "name", "value", "token_url", "client_id", "client_secret"]
    }

    /// Accepted ranges. `Int.max` as an upper bound means "no upper bound".
    enum Limits {
        static let port = 0...65_535
        static let maxItems = 1...Int.max
        static let maxBodyBytes = 1024...Int.max
        static let requestTimeoutMs = 1...Int.max
        static let reasonLength = 1...500
        static let idempotencyMaxEntries = 1...Int.max
        static let idempotencyMaxBytes = 1...Int.max
        static let confirmIntervalMs = 10...60_000
        static let confirmMaxWaitMs = 0...600_000
        static let maxJobItems = 1...10_000_000
        static let maxJobBodyBytes = 1024...1_073_741_824
        static let maxRunningJobs = 0...256
        static let batchSize = 1...UpstreamConfig.providerBatchLimit
        static let concurrency = 1...1024
        static let timeoutMs = 1...600_000
        static let maxAttempts = 1...10
        static let delayMs = 0...Int.max
        static let ratePerSecond = 1...100_000
        static let rateBurst = 1...100_000
        static let poolSize = 1...256
        static let retentionDays = 1...36_500
        static let sweepIntervalMs = 100...3_600_000
        static let leaseGraceMs = 0...3_600_000
        static let upstreamNamePattern = "^[A-Za-z0-9_.-]{1,64}$"
        static let upstreamNameLength = 1...64
    }
}
