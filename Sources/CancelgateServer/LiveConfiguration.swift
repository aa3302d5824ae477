public import CancelgateCore
internal import CurlClient
internal import Foundation
public import Logging

/// The configuration in force and what is built from it. A reload builds a new one; a request
/// holds the one it started with until it ends, so in-flight requests never see a mix.
public final class GatewayRuntime: Sendable {
    public let service: CancelService
    let authenticator: ClientAuthenticator
    public var config: RoutesConfig { service.config }

    init(service: CancelService) {
        self.service = service
        self.authenticator = ClientAuthenticator(clients: service.config.clients)
    }
}

/// Where a reload reads routes.json from. The environment is read again at each reload.
public struct ConfigSource: Sendable {
    public let path: String
    public let environment: @Sendable () -> [String: String]

    /// - Parameter environment: the variables for `${VAR}`; nil: the process environment.
    public init(path: String, environment: (@Sendable () -> [String: String])? = nil) {
        self.path = path
        self.environment = environment ?? { ProcessInfo.processInfo.environment }
    }
}

public enum ReloadOutcome: Sendable {
    /// The new file is in force. `restartRequired` names settings that only a restart applies.
    case reloaded(RoutesConfig, restartRequired: [String])
    /// The file did not validate: the configuration in force is unchanged.
    case refused(ConfigError)
    /// This gateway was built from a configuration in memory, not from a file.
    case noSource
}

/// Holds the current `GatewayRuntime`. `reload()` re-reads the file and swaps the runtime only
/// when the whole file validates (SIGHUP and `POST /admin/reload` both end here).
public final class LiveConfiguration: @unchecked Sendable {
    // NSLock, not Synchronization.Mutex: see NOTES (ThreadSanitizer on Linux).
    private let lock = NSLock()
    private let reloadLock = NSLock()
    private var runtime: GatewayRuntime
    private let makeService: @Sendable (RoutesConfig) -> CancelService
    public let source: ConfigSource?
    public let metrics: GatewayMetrics

    public init(
        config: RoutesConfig, transport: any HTTPTransport, metrics: GatewayMetrics = .disabled, source: ConfigSource? = nil
    ) {
        // One registry for the gateway's life: a reload keeps each upstream's slots, rate gate and
        // C1 token cache (UpstreamRegistry says when a changed upstream gets new ones).
        let registry = UpstreamRegistry()
        let makeService: @Sendable (RoutesConfig) -> CancelService = {
            CancelService(config: $0, transport: transport, metrics: metrics, registry: registry)
        }
        self.makeService = makeService
        self.runtime = GatewayRuntime(service: makeService(config))
        self.source = source
        self.metrics = metrics
    }

    /// The runtime a new request should use.
    public var current: GatewayRuntime {
        lock.withLock { runtime }
    }

    /// Re-reads the source file; logs and counts the result. The file is read (it may be on a slow
    /// or stuck volume) and the lock awaited on a thread of their own, never on one of Swift's
    /// cooperative threads.
    @discardableResult
    public func reload(logger: Logger) async -> ReloadOutcome {
        await BlockingWork.run { self.reloadBlocking(logger: logger) }
    }

    private func reloadBlocking(logger: Logger) -> ReloadOutcome {
        guard let source else { return .noSource }
        return reloadLock.withLock {
            let config: RoutesConfig
            do throws(ConfigError) {
                config = try ConfigLoader.load(path: source.path, environment: source.environment())
            } catch {
                metrics.configReload(succeeded: false)
                logger.error(
                    "configuration reload refused; the configuration in force is unchanged",
                    metadata: ["config.path": "\(source.path)", "config.errors": "\(error.issues.map(\.description).joined(separator: "; "))"])
                return .refused(error)
            }
            let previous = current.config
            let next = GatewayRuntime(service: makeService(config))
            lock.withLock { runtime = next }
            metrics.configReload(succeeded: true)
            let restart = Self.restartRequired(from: previous, to: config)
            logger.notice(
                "configuration reloaded",
                metadata: [
                    "config.path": "\(source.path)", "config.upstreams": "\(config.upstreams.count)", "config.routes": "\(config.routes.count)",
                    "config.clients": "\(config.clients.count)", "config.restart_required": "\(restart.joined(separator: ","))",
                ])
            return .reloaded(config, restartRequired: restart)
        }
    }

    /// Settings read once at start: the listening address, the idempotency store's size, where the store is.
    static func restartRequired(from old: RoutesConfig, to new: RoutesConfig) -> [String] {
        var names: [String] = []
        if old.server.host != new.server.host { names.append("server.host") }
        if old.server.port != new.server.port { names.append("server.port") }
        if old.server.idempotencyMaxEntries != new.server.idempotencyMaxEntries { names.append("server.idempotency_max_entries") }
        if old.server.idempotencyMaxBytes != new.server.idempotencyMaxBytes { names.append("server.idempotency_max_bytes") }
        if old.store.backend != new.store.backend { names.append("store") }
        return names
    }
}
