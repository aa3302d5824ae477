public import CancelgateCore
internal import Foundation
public import Hummingbird
public import Logging

/// What `buildApplication` needs beyond the configuration.
public struct GatewayOptions: Sendable {
    /// Overrides `server.host` / `server.port` (tests and the demo bind 127.0.0.1:0).
    public var host: String?
    public var port: Int?
    public var readiness: Readiness
    public var onServerRunning: @Sendable (Int) async -> Void
    /// Where `Idempotency-Key`s are remembered; nil: an `InMemoryIdempotencyStore` of
    /// `server.idempotency_max_entries` for this application.
    public var idempotencyStore: (any IdempotencyStore)?

    public init(
        host: String? = nil, port: Int? = nil, readiness: Readiness = Readiness(), idempotencyStore: (any IdempotencyStore)? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.readiness = readiness
        self.idempotencyStore = idempotencyStore
        self.onServerRunning = onServerRunning
    }
}

public func buildApplication(
    config: RoutesConfig, transport: any HTTPTransport, options: GatewayOptions = .init(), logger: Logger
) -> some ApplicationProtocol {
    let idempotency = options.idempotencyStore ?? InMemoryIdempotencyStore(maxEntries: config.server.idempotencyMaxEntries)
    let router = buildRouter(service: CancelService(config: config, transport: transport), readiness: options.readiness, idempotency: idempotency)
    return Application(
        router: router,
        configuration: .init(address: .hostname(options.host ?? config.server.host, port: options.port ?? config.server.port), serverName: "cancelgate"),
        onServerRunning: { channel in await options.onServerRunning(channel.localAddress?.port ?? 0) },
        logger: logger)
}

public func buildRouter(service: CancelService, readiness: Readiness, idempotency: any IdempotencyStore) -> Router<GatewayContext> {
    let router = Router(context: GatewayContext.self)
    router.add(middleware: ProblemMiddleware())
    router.get("healthz") { _, _ in HealthAnswer(status: "ok") }
    router.get("readyz") { _, _ -> Response in
        let draining = readiness.isDraining
        let data = (try? JSONEncoder().encode(HealthAnswer(status: draining ? "draining" : "ready"))) ?? Data()
        return Response(
            status: draining ? .serviceUnavailable : .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
    let v1 = router.group("v1").add(middleware: ClientAuthMiddleware(authenticator: ClientAuthenticator(clients: service.config.clients)))
    CancelController(service: service, idempotency: idempotency).addRoutes(to: v1)
    v1.get("upstreams") { _, _ in UpstreamList(service.config.upstreams) }
    return router
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

    init(_ upstreams: [UpstreamConfig]) {
        self.upstreams = upstreams.map {
            Entry(
                name: $0.name, provider: $0.provider, base_url: $0.baseURL, mode: $0.provider == .kubiya ? $0.mode : nil,
                batch_size: Adapters.adapter(for: $0).chunkSize($0), concurrency: $0.concurrency, timeout_ms: $0.timeoutMs, auth_type: $0.auth.typeName)
        }
    }
}
