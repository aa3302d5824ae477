import ArgumentParser
import CancelgateCore
import CancelgateServer
import CancelgateStore
import CurlClient
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// `cancelgate serve`: the production entry point.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the cancel API (the default command).")

    @Option(name: .long, help: "Path of routes.json.")
    var config: String = "routes.json"

    @Option(help: "Listen on this host instead of server.host.")
    var host: String?

    @Option(help: "Listen on this port instead of server.port.")
    var port: Int?

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        AllocatorSettings.apply()
        let logger = logging.makeLogger(label: "cancelgate")
        let routes: RoutesConfig
        do {
            routes = try ConfigLoader.load(path: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("cancelgate: \(config) is invalid\n\(error.description)\n".utf8))
            throw ExitCode(1)
        }
        let store = try await Self.openStore(routes, logger: logger)
        let client = try CurlClient()
        let readiness = Readiness()
        let prometheus = PrometheusMetrics()
        let live = LiveConfiguration(config: routes, transport: client, metrics: prometheus.metrics, source: ConfigSource(path: config))
        let app = buildApplication(
            live: live, prometheus: prometheus, options: GatewayOptions(host: host, port: port, readiness: readiness, store: store), logger: logger)
        // SIGHUP re-reads routes.json; a file that does not validate is logged and ignored.
        let reload = ReloadService(live: live, signals: await UnixSignalsSequence(trapping: .sighup), logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [CurlClientService(client: client), app, reload, ReadinessService(readiness: readiness)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        defer { Task { await store.close() } }
        do {
            try await group.run()
        } catch let error as StoreOpenError {
            Self.fail(error)
        }
        await store.close()
    }

    /// The configured store, or exit 1 with a message that names it (never its password).
    static func openStore(_ routes: RoutesConfig, logger: Logger) async throws -> OpenedStore {
        do {
            return try await StoreOpener.open(routes, logger: logger)
        } catch {
            fail(error)
        }
    }

    static func fail(_ error: StoreOpenError) -> Never {
        FileHandle.standardError.write(Data("cancelgate: \(error.description)\n".utf8))
        Foundation.exit(1)
    }
}
