public import CancelgateCore
public import CancelgateStore
internal import Foundation
public import Hummingbird
public import Logging
internal import NIOCore

/// What `buildApplication` needs beyond the configuration.
public struct GatewayOptions: Sendable {
    /// Overrides `server.host` / `server.port` (tests and the demo bind 127.0.0.1:0).
    public var host: String?
    public var port: Int?
    public var readiness: Readiness
    public var onServerRunning: @Sendable (Int) async -> Void
    /// Where records and `Idempotency-Key`s live (`StoreOpener.open`); nil: a `memory` store of
    /// this application's own (tests). The application runs its services and its `prepare`.
    public var store: OpenedStore?
    /// Where a reload (SIGHUP, `POST /admin/reload`) reads routes.json; nil: reload is refused.
    public var configSource: ConfigSource?
    /// What `GET /metrics` shows; nil: a registry of this application's own.
    public var prometheus: PrometheusMetrics?
    /// The job runner's lease and polling (a store that keeps jobs only).
    public var jobRunner: JobRunnerService.Settings = .init()

    public init(
        host: String? = nil, port: Int? = nil, readiness: Readiness = Readiness(), store: OpenedStore? = nil,
        configSource: ConfigSource? = nil, prometheus: PrometheusMetrics? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.readiness = readiness
        self.store = store
        self.configSource = configSource
        self.prometheus = prometheus
        self.onServerRunning = onServerRunning
    }
}

/// The gateway as an application: `config` in force until a reload replaces it.
public func buildApplication(
    config: RoutesConfig, transport: any HTTPTransport, options: GatewayOptions = .init(), logger: Logger
) -> some ApplicationProtocol {
    let prometheus = options.prometheus ?? PrometheusMetrics()
    let live = LiveConfiguration(config: config, transport: transport, metrics: prometheus.metrics, source: options.configSource)
    return buildApplication(live: live, prometheus: prometheus, options: options, logger: logger)
}

/// The gateway as an application over a `LiveConfiguration` the caller keeps (to reload it).
public func buildApplication(
    live: LiveConfiguration, prometheus: PrometheusMetrics, options: GatewayOptions = .init(), logger: Logger
) -> some ApplicationProtocol {
    let server = live.current.config.server
    let opened = options.store ?? .memory(server)
    let keeper = RecordKeeper(
        store: opened.store, metrics: live.metrics, logger: logger,
        fallbackKeys: InMemoryIdempotencyStore(maxEntries: server.idempotencyMaxEntries, maxBytes: server.idempotencyMaxBytes))
    let router = buildRouter(live: live, prometheus: prometheus, readiness: options.readiness, keeper: keeper)
    var app = Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
        configuration: .init(address: .hostname(options.host ?? server.host, port: options.port ?? server.port), serverName: "cancelgate"),
        onServerRunning: { channel in
            // Our own line, so scripts that start `serve --port 0` need not parse Hummingbird's.
            logger.info("listening", metadata: ["server.address": "\(listeningAddress(channel.localAddress))"])
            await options.onServerRunning(channel.localAddress?.port ?? 0)
        },
        logger: logger)
    let (prepared, preparedDone) = AsyncStream.makeStream(of: Void.self)
    let (jobsPrepared, jobsPreparedDone) = AsyncStream.makeStream(of: Void.self)
    app.addServices(opened.services)
    app.addServices(StoreMaintenanceService(keeper: keeper, live: live, logger: logger, prepared: prepared))
    if let jobs = opened.store as? any JobStore {
        app.addServices(JobRunnerService(store: jobs, live: live, settings: options.jobRunner, logger: logger, prepared: jobsPrepared))
    }
    app.beforeServerStarts {
        try await opened.prepare(logger)
        preparedDone.finish()
        jobsPreparedDone.finish()
    }
    return app
}

public func buildRouter(
    live: LiveConfiguration, prometheus: PrometheusMetrics, readiness: Readiness, keeper: RecordKeeper
) -> Router<GatewayContext> {
    // HEAD for every GET, as openapi.json promises (and RFC 9110 §9.1 asks of a server).
    let router = Router(context: GatewayContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestMetricsMiddleware(metrics: prometheus.metrics))
    router.add(middleware: ProblemMiddleware())
    router.get("healthz") { _, _ in HealthAnswer(status: "ok") }
    router.get("openapi.json", use: OpenAPIDocument.handler())
    router.get("readyz") { _, _ -> Response in
        let draining = readiness.isDraining
        let data = (try? JSONEncoder().encode(HealthAnswer(status: draining ? "draining" : "ready"))) ?? Data()
        return Response(
            status: draining ? .serviceUnavailable : .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
    router.get("metrics") { _, _ in prometheus.response() }
    let v1 = router.group("v1").add(middleware: ClientAuthMiddleware(live: live))
    CancelController(live: live, keeper: keeper).addRoutes(to: v1)
    RecordsController(keeper: keeper).addRoutes(to: v1)
    JobsController(live: live, store: keeper.store as? any JobStore).addRoutes(to: v1)
    v1.get("upstreams") { _, context in
        let config = (context.runtime ?? live.current).config
        return UpstreamList(config.upstreams, maxItems: config.server.maxItems)
    }
    AdminController(live: live).addRoutes(to: router.group("admin").add(middleware: ClientAuthMiddleware(live: live)))
    // Last, after every route: it wraps only the not-found responder (see its comment).
    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes, headForGet: true))
    return router
}

/// `127.0.0.1:54321`, `[::1]:8080`, or the socket path.
func listeningAddress(_ address: SocketAddress?) -> String {
    guard let address else { return "unknown" }
    switch address {
    case .v4: return "\(address.ipAddress ?? "?"):\(address.port ?? 0)"
    case .v6: return "[\(address.ipAddress ?? "?")]:\(address.port ?? 0)"
    case .unixDomainSocket: return address.pathname ?? "unix"
    }
}

struct HealthAnswer: ResponseEncodable {
    let status: String
}

/// `GET /v1/upstreams`: configuration without any secret.
struct UpstreamList: ResponseEncodable {
    struct Entry: Codable {
        let name: String
        let provider: ProviderKind
        let base_url: String
        let mode: CallMode?
        let batch_size: Int
        let concurrency: Int
        let timeout_ms: Int
        let auth_type: String
    }

    let upstreams: [Entry]
    /// `server.max_items`, so a client (`cancelgate cancel`) can split a long list.
    let max_items: Int

    init(_ upstreams: [UpstreamConfig], maxItems: Int) {
        self.max_items = maxItems
        self.upstreams = upstreams.map {
            Entry(
                name: $0.name, provider: $0.provider, base_url: $0.baseURL, mode: $0.provider == .kubiya ? $0.mode : nil,
                batch_size: $0.callSize, concurrency: $0.concurrency, timeout_ms: $0.timeoutMs, auth_type: $0.auth.typeName)
        }
    }
}
