import ArgumentParser
import CancelgateCore
import CancelgateFakes
import CancelgateServer
import CurlClient
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// `cancelgate demo`: fakes and gateway on loopback, one mixed request that produces every
/// outcome, the report as a table, then curl commands to try while it keeps serving.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway against embedded fake upstreams and show a mixed cancel.")

    @Option(help: "Gateway port on 127.0.0.1 (0 picks a free one).")
    var port: Int = 8080

    @Flag(help: "Print the raw JSON report instead of the table.")
    var json = false

    @Flag(help: "Exit after printing the report instead of serving until Ctrl-C.")
    var once = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.makeLogger(label: "cancelgate.demo")
        let fakes = FakeUpstreams()
        await DemoScenario.seed(fakes.state)
        let (fakesPorts, fakesPort) = AsyncStream.makeStream(of: Int.self)
        let (gatewayPorts, gatewayPort) = AsyncStream.makeStream(of: Int.self)
        let fakesApp = fakes.buildApplication(onServerRunning: { fakesPort.yield($0) }, logger: logger)
        let client = try CurlClient()
        let (requestedPort, asJSON) = (port, json)

        let fakesGroup = ServiceGroup(configuration: .init(services: [fakesApp], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await fakesGroup.run() }
            guard let upstreamPort = await fakesPorts.first(where: { _ in true }) else { return }
            let routes = try ConfigLoader.load(data: Data(fakes.routesJSON(port: upstreamPort, gatewayPort: requestedPort).utf8), environment: [:])
            let readiness = Readiness()
            let gateway = buildApplication(
                config: routes, transport: client, options: GatewayOptions(readiness: readiness, onServerRunning: { gatewayPort.yield($0) }),
                logger: logger)
            let gatewayGroup = ServiceGroup(
                configuration: .init(
                    services: [CurlClientService(client: client), gateway, ReadinessService(readiness: readiness)],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            group.addTask {
                try await gatewayGroup.run()
                await fakesGroup.triggerGracefulShutdown()
            }
            guard let port = await gatewayPorts.first(where: { _ in true }) else { return }
            let response = try await client.execute(
                CurlRequest(
                    method: "POST", url: "http://127.0.0.1:\(port)/v1/cancel", headers: [HTTPHeader("Content-Type", "application/json")],
                    body: Data(DemoScenario.requestBody.utf8)))
            if asJSON {
                print(String(decoding: response.body, as: UTF8.self))
            } else {
                let report = try JSONDecoder().decode(CancelReport.self, from: response.body)
                print(ReportTable.render(report))
            }
            if once {
                await gatewayGroup.triggerGracefulShutdown()
            } else {
                print(Self.tryIt(port: port))
            }
            try await group.waitForAll()
        }
    }

    static func tryIt(port: Int) -> String {
        """

        The gateway is serving on http://127.0.0.1:\(port) (fake upstreams behind it). Try, in another terminal:

          curl -s http://127.0.0.1:\(port)/v1/upstreams
          curl -s -X POST 'http://127.0.0.1:\(port)/v1/cancel?dry_run=true' -H 'Content-Type: application/json' \\
               -d '{"ids": ["tsk_1", "839265", "\(DemoScenario.runningKubiya)"]}'
          curl -s -X POST http://127.0.0.1:\(port)/v1/cancel -H 'Content-Type: application/json' -H 'X-Request-ID: try-1' \\
               -d '{"ids": ["tsk_4810001", "nope"], "items": [{"id": "bex_7001", "upstream": "meibel"}]}'

        Press Ctrl-C to stop.
        """
    }
}
