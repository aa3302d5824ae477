/// The values of `routes.json` after loading: defaults applied, `${VAR}`s expanded, everything
/// checked. Defaults live here and nowhere else.
public struct RoutesConfig: Sendable {
    public var server: ServerConfig
    /// Upstreams in name order.
    public var upstreams: [UpstreamConfig]
    public var routes: [RouteRule]
    /// Empty: no caller authentication.
    public var clients: [ClientConfig]
    public var store: StoreConfig

    public init(
        server: ServerConfig = .init(), upstreams: [UpstreamConfig], routes: [RouteRule] = [], clients: [ClientConfig] = [],
        store: StoreConfig = .init()
    ) {
        self.server = server
        self.upstreams = upstreams.sorted { $0.name < $1.name }
        self.routes = routes
        self.clients = clients
        self.store = store
    }

    public func upstream(named name: String) -> UpstreamConfig? {
        upstreams.first { $0.name == name }
    }
}

public struct ServerConfig: Sendable, Equatable {
    public static let defaultHost = "0.0.0.0"
    public static let defaultPort = 8080
    public static let defaultMaxItems = 1000
    public static let defaultMaxBodyBytes = 1_048_576
    public static let defaultRequestTimeoutMs = 30_000
    public static let defaultReason = "Cancelled via cancelgate"
    public static let defaultIdempotencyMaxEntries = 10_000
    public static let defaultIdempotencyMaxBytes = 64 * 1024 * 1024
    public static let defaultConfirmIntervalMs = 500
    public static let defaultConfirmMaxWaitMs = 10_000
    public static let defaultMaxJobItems = 100_000
    public static let defaultMaxJobBodyBytes = 16 * 1_048_576
    public static let defaultMaxRunningJobs = 4

    public var host: String
    public var port: Int
    public var maxItems: Int
    public var maxBodyBytes: Int
    public var requestTimeoutMs: Int
    public var defaultReason: String
    /// Completed `Idempotency-Key`s remembered at once (least recently used forgotten first).
    public var idempotencyMaxEntries: Int
    /// Bytes of completed reports (as compact JSON) remembered at once, least recently used forgotten first.
    public var idempotencyMaxBytes: Int
    /// Confirmed cancellation (CONTRACT §7): time between two status reads of a run still running.
    public var confirmIntervalMs: Int
    /// Confirmed cancellation: how long reads go on after the cancel (the request deadline too).
    public var confirmMaxWaitMs: Int
    /// Jobs (CONTRACT §6): entries one job may have.
    public var maxJobItems: Int
    /// Jobs: the largest `POST /v1/jobs` body.
    public var maxJobBodyBytes: Int
    /// Jobs this replica runs at once (0: it runs none; it still accepts and shows them).
    public var maxRunningJobs: Int

    public init(
        host: String = defaultHost, port: Int = defaultPort, maxItems: Int = defaultMaxItems,
        maxBodyBytes: Int = defaultMaxBodyBytes, requestTimeoutMs: Int = defaultRequestTimeoutMs,
        defaultReason: String = defaultReason, idempotencyMaxEntries: Int = defaultIdempotencyMaxEntries,
        idempotencyMaxBytes: Int = defaultIdempotencyMaxBytes, confirmIntervalMs: Int = defaultConfirmIntervalMs,
        confirmMaxWaitMs: Int = defaultConfirmMaxWaitMs, maxJobItems: Int = defaultMaxJobItems, maxJobBodyBytes: Int = defaultMaxJobBodyBytes,
        maxRunningJobs: Int = defaultMaxRunningJobs
    ) {
        self.host = host
        self.port = port
        self.maxItems = maxItems
        self.maxBodyBytes = maxBodyBytes
        self.requestTimeoutMs = requestTimeoutMs
        self.defaultReason = defaultReason
        self.idempotencyMaxEntries = idempotencyMaxEntries
        self.idempotencyMaxBytes = idempotencyMaxBytes
        self.confirmIntervalMs = confirmIntervalMs
        self.confirmMaxWaitMs = confirmMaxWaitMs
        self.maxJobItems = maxJobItems
        self.maxJobBodyBytes = maxJobBodyBytes
        self.maxRunningJobs = maxRunningJobs
    }

    public var requestTimeout: Duration { .milliseconds(requestTimeoutMs) }
}

public enum ProviderKind: String, Sendable, CaseIterable, Codable {
    case kubiya, skyvern, meibel, c1
}

/// Kubiya's two call shapes; the other providers have one each.
public enum CallMode: String, Sendable, Codable {
    case batch, single
}

public enum UpstreamAuth: Sendable {
    case none
    case bearer(token: Secret)
    case header(name: String, value: Secret)
    /// C1: `tokenURL` is absolute or relative to the upstream's base URL.
    case oauth2ClientCredentials(tokenURL: String, clientID: String, clientSecret: Secret)

    public var typeName: String {
        switch self {
        case .none: "none"
        case .bearer: "bearer"
        case .header: "header"
        case .oauth2ClientCredentials: "oauth2_client_credentials"
        }
    }
}

public struct RetryConfig: Sendable, Equatable {
    public static let defaultMaxAttempts = 3
    public static let defaultBaseDelayMs = 100
    public static let defaultMaxDelayMs = 2000

    public var maxAttempts: Int
    public var baseDelayMs: Int
    public var maxDelayMs: Int

    public init(maxAttempts: Int = defaultMaxAttempts, baseDelayMs: Int = defaultBaseDelayMs, maxDelayMs: Int = defaultMaxDelayMs) {
        self.maxAttempts = maxAttempts
        self.baseDelayMs = baseDelayMs
        self.maxDelayMs = maxDelayMs
    }
}

/// `upstreams.NAME.rate_limit`: calls per second to one upstream, shared by every request.
public struct RateLimitConfig: Sendable, Equatable {
    public var perSecond: Double
    /// Calls that may go at once after a quiet spell; default `per_second`.
    public var burst: Int

    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = burst
    }
}

public struct UpstreamConfig: Sendable {
    /// Every provider accepts at most this many IDs in one call.
    public static let providerBatchLimit = 100
    public static let defaultBatchSize = 100
    public static let defaultConcurrency = 8
    public static let defaultTimeoutMs = 10_000

    public var name: String
    public var provider: ProviderKind
    /// Without a trailing slash.
    public var baseURL: String
    public var auth: UpstreamAuth
    public var mode: CallMode
    public var batchSize: Int
    public var concurrency: Int
    public var timeoutMs: Int
    public var retry: RetryConfig
    /// nil: no rate limit (a 429's `Retry-After` still pauses the upstream).
    public var rateLimit: RateLimitConfig?
    /// Cancels on this upstream are confirmed by status reads unless the request says otherwise.
    public var confirm: Bool
    /// An attempt in doubt is followed by a status read, not a second cancel (CONTRACT §7).
    /// `false` restores plain retries (the chaos test compares the two).
    public var readInDoubt: Bool

    public init(
        name: String, provider: ProviderKind, baseURL: String, auth: UpstreamAuth = .none, mode: CallMode = .batch,
        batchSize: Int = defaultBatchSize, concurrency: Int = defaultConcurrency, timeoutMs: Int = defaultTimeoutMs,
        retry: RetryConfig = .init(), rateLimit: RateLimitConfig? = nil, confirm: Bool = false, readInDoubt: Bool = true
    ) {
        self.name = name
        self.provider = provider
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.auth = auth
        self.mode = mode
        self.batchSize = batchSize
        self.concurrency = concurrency
        self.timeoutMs = timeoutMs
        self.retry = retry
        self.rateLimit = rateLimit
        self.confirm = confirm
        self.readInDoubt = readInDoubt
    }

    public var timeout: Duration { .milliseconds(timeoutMs) }

    /// IDs per upstream call: `batch_size` capped by the provider's limit, or 1 for per-ID calls.
    public var callSize: Int { Adapters.adapter(for: self).chunkSize(self) }
}

public struct RouteRule: Sendable {
    public enum Match: Sendable {
        case prefix(String)
        case regex(IDPattern)
    }

    public var match: Match
    public var upstream: String

    public init(match: Match, upstream: String) {
        self.match = match
        self.upstream = upstream
    }

    public func matches(_ id: String) -> Bool {
        switch match {
        case .prefix(let prefix): id.hasPrefix(prefix)
        case .regex(let pattern): pattern.matches(id)
        }
    }
}

public struct ClientConfig: Sendable {
    public var name: String
    public var token: Secret
    public var upstreams: [String]
    /// May reload the configuration (`POST /admin/reload`).
    public var admin: Bool

    public init(name: String, token: Secret, upstreams: [String], admin: Bool = false) {
        self.name = name
        self.token = token
        self.upstreams = upstreams
        self.admin = admin
    }
}
