import CancelgateWire
import ArgumentParser
import CancelgateCore
import CancelgateFakes
import CancelgateServer
import CancelgateStore
import CurlClient
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals

/// `cancelgate demo`: fakes and gateway on loopback, one mixed request that produces every
/// outcome, the report as a table, then curl commands to try while it keeps serving.
/// With `--faults` the fakes misbehave on purpose (`DemoScenario.faults`) and the deadlines are short.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway against embedded fake upstreams and show a mixed cancel.")

    @Option(help: "Gateway port on 127.0.0.1 (0 picks a free one).")
    var port: Int = 8080

    @Flag(help: "Print the raw JSON report instead of the table.")
    var json = false

    @Flag(help: "Exit after printing the report instead of serving until Ctrl-C.")
    var once = false

    @Flag(help: "Inject faults in the fake upstreams (errors, a 429, a hang, a cut-off answer) and show how the gateway reports them.")
    var faults = false

    @Option(help: "Seed of the fakes' fault decisions with --faults: the same seed gives the same decisions, though concurrent calls may reach the fakes in another order.")
    var seed: UInt64 = 2

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.makeLogger(label: "cancelgate.demo")
        let fakes = faults ? FakeUpstreams(seed: seed, faults: DemoScenario.faults) : FakeUpstreams()
        await DemoScenario.seed(fakes.state)
        let (fakesPorts, fakesPort) = AsyncStream.makeStream(of: Int.self)
        let (gatewayPorts, gatewayPort) = AsyncStream.makeStream(of: Int.self)
        let fakesApp = fakes.buildApplication(onServerRunning: { fakesPort.yield($0) }, logger: logger)
        let client = try CurlClient()
        let (requestedPort, asJSON, withFaults) = (port, json, faults)

        let fakesGroup = ServiceGroup(configuration: .init(services: [fakesApp], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await fakesGroup.run() }
            guard let upstreamPort = await fakesPorts.first(where: { _ in true }) else { return }
            let routes = try ConfigLoader.load(data: Data(Self.routesJSON(fakes, upstreamPort, requestedPort, faults: withFaults).utf8), environment: [:])
            let readiness = Readiness()
            // The embedded default: cancelgate.db in the working directory.
            let store = try await Serve.openStore(routes, logger: logger)
            let gateway = buildApplication(
                config: routes, transport: client,
                options: GatewayOptions(readiness: readiness, store: store, onServerRunning: { gatewayPort.yield($0) }), logger: logger)
            let gatewayGroup = ServiceGroup(
                configuration: .init(
                    services: [CurlClientService(client: client), gateway, ReadinessService(readiness: readiness)],
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            group.addTask {
                try await gatewayGroup.run()
                await fakesGroup.triggerGracefulShutdown()
            }
            guard let port = await gatewayPorts.first(where: { _ in true }) else { return }
            if withFaults { Self.show(await Self.faultBanner(fakes, port: upstreamPort)) }
            let response = try await client.execute(
                CurlRequest(
                    method: "POST", url: "http://127.0.0.1:\(port)/v1/cancel", headers: [HTTPHeader("Content-Type", "application/json")],
                    body: Data(DemoScenario.requestBody.utf8)))
            let report = try JSONDecoder().decode(CancelReport.self, from: response.body)
            let confirmed = try await client.execute(
                CurlRequest(
                    method: "POST", url: "http://127.0.0.1:\(port)/v1/cancel?confirm=true", headers: [HTTPHeader("Content-Type", "application/json")],
                    body: Data(DemoScenario.confirmBody.utf8)))
            if asJSON {
                Self.show(String(decoding: response.body, as: UTF8.self))
                Self.show(String(decoding: confirmed.body, as: UTF8.self))
            } else {
                Self.show(report.table())
                Self.show(try await Self.recordLine(client: client, port: port, requestID: report.requestID, storeName: store.name))
                Self.show(Self.confirmedSection(try JSONDecoder().decode(CancelReport.self, from: confirmed.body)))
            }
            if once {
                await gatewayGroup.triggerGracefulShutdown()
            } else {
                Self.show(Self.tryIt(port: port, fakesPort: withFaults ? upstreamPort : nil, requestID: report.requestID))
            }
            try await group.waitForAll()
            await store.close()
        }
    }

    /// Writes `text` and a newline to standard output at once. `print` would leave it in stdio's
    /// buffer when standard output is a pipe (`make demo | tee demo.txt`), where nothing would
    /// appear until the demo exits, and the demo serves until Ctrl-C. A reader that went away
    /// (`| head`) is not an error worth stopping the demo for.
    static func show(_ text: String) {
        try? FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
    }

    static func confirmedSection(_ report: CancelReport) -> String {
        """

        A confirmed cancel (?confirm=true): after the cancel the gateway reads each run's status until it has stopped, \
        at most 2 s here. C1 and Meibel stop a moment after accepting; one C1 run takes longer than the gateway waits; \
        Skyvern answers a completed workflow run's cancel with success, and its status read tells the truth:

        \(report.table())
        """
    }

    /// With faults: deadlines short enough that the hang ends quickly (upstream timeout 1.5 s, request 3 s),
    /// and Kubiya in single mode so its error rate is drawn per execution rather than once for the batch.
    static func routesJSON(_ fakes: FakeUpstreams, _ upstreamPort: Int, _ gatewayPort: Int, faults: Bool) -> String {
        let confirm = #""confirm_interval_ms": 100, "confirm_max_wait_ms": 2000"#
        guard faults else { return fakes.routesJSON(port: upstreamPort, gatewayPort: gatewayPort, serverKeys: confirm) }
        return fakes.routesJSON(
            port: upstreamPort, gatewayPort: gatewayPort, requestTimeoutMs: 3000, upstreamTimeoutMs: 1500, kubiyaMode: "single", serverKeys: confirm)
    }

    static func faultBanner(_ fakes: FakeUpstreams, port: Int) async -> String {
        """
        Faults injected by the fake upstreams (seed \(await fakes.state.faultSeed); see or change them at http://127.0.0.1:\(port)/_admin/faults):
        \(Fakes.describe(await fakes.state.faultRules()))
        Deadlines: 1.5 s per upstream call, 3 s per request.

        """
    }

    /// What the store kept of the demo's cancel, read back through the records API.
    static func recordLine(client: CurlClient, port: Int, requestID: String, storeName: String) async throws -> String {
        let response = try await client.execute(CurlRequest(method: "GET", url: "http://127.0.0.1:\(port)/v1/cancels/\(requestID)"))
        guard response.status == 200, let record = try? JSONDecoder().decode(CancelRecord.self, from: response.body) else {
            return "The record of request \(requestID) could not be read back (HTTP \(response.status))."
        }
        return """

        Recorded in \(storeName): request \(record.requestID), state \(record.state.rawValue), \(record.results?.count ?? 0) results, \
        received \(RecordTime.format(record.receivedAtMs)), reason "\(record.reason)".
        """
    }

    static func tryIt(port: Int, fakesPort: Int?, requestID: String) -> String {
        let admin = fakesPort.map { fakesPort in
            """

              curl -s http://127.0.0.1:\(fakesPort)/_admin/faults
              curl -s -X DELETE http://127.0.0.1:\(fakesPort)/_admin/faults     # then run the cancel again
            """
        }
        return """

        The gateway is serving on http://127.0.0.1:\(port) (fake upstreams behind it). Try, in another terminal:

          curl -s http://127.0.0.1:\(port)/v1/upstreams
          curl -s -X POST 'http://127.0.0.1:\(port)/v1/cancel?dry_run=true' -H 'Content-Type: application/json' \\
               -d '{"ids": ["tsk_1", "839265", "\(DemoScenario.runningKubiya)"]}'
          curl -s -X POST http://127.0.0.1:\(port)/v1/cancel -H 'Content-Type: application/json' -H 'X-Request-ID: try-1' \\
               -d '{"ids": ["tsk_4810001", "nope"], "items": [{"id": "bex_7001", "upstream": "meibel"}]}'
          curl -s http://127.0.0.1:\(port)/v1/cancels/\(requestID)                # the record of the cancel above
          curl -s 'http://127.0.0.1:\(port)/v1/cancels?id=\(DemoScenario.runningKubiya)'
          cancelgate history \(DemoScenario.runningKubiya) --server http://127.0.0.1:\(port)   # who cancelled that run, when, why
          curl -s -X POST http://127.0.0.1:\(port)/v1/status -H 'Content-Type: application/json' \\
               -d '{"ids": ["839301", "tsk_4810002", "\(DemoScenario.runningKubiya)"]}'     # what is true now; nothing is cancelled
          cancelgate status 839301 bex_7001 wr_4810004 --server http://127.0.0.1:\(port)
          cancelgate cancel --confirm tsk_4810001 --server http://127.0.0.1:\(port)\(admin ?? "")

        Press Ctrl-C to stop.
        """
    }
}
