import ArgumentParser
import CancelgateFakes
import Foundation
import Hummingbird
import Logging

/// `cancelgate fakes`: the four fake providers alone, for trying a gateway or for benchmarks.
struct Fakes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the fake Kubiya, Skyvern, Meibel and C1 upstreams on loopback.")

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 9090

    @Option(help: "Latency in milliseconds added to every fake upstream call.")
    var latencyMs: Int = 0

    @Flag(help: "Treat every unknown well-formed ID as a running run (for benchmarks).")
    var autoCreate = false

    @Option(help: "Write a routes.json pointing at these fakes (with their generated credentials) to this path.")
    var writeRoutes: String?

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.makeLogger(label: "cancelgate.fakes")
        let latency = Dictionary(uniqueKeysWithValues: FakeProvider.allCases.map { ($0, Duration.milliseconds(latencyMs)) })
        let fakes = FakeUpstreams(latency: latency, autoCreate: autoCreate)
        let writeRoutes = self.writeRoutes
        let app = fakes.buildApplication(
            port: port,
            onServerRunning: { port in
                if let writeRoutes {
                    try? fakes.routesJSON(port: port, gatewayPort: 8080).write(toFile: writeRoutes, atomically: true, encoding: .utf8)
                }
                print("fakes listening on http://127.0.0.1:\(port)" + (writeRoutes.map { "; routes written to \($0)" } ?? ""))
            }, logger: logger)
        try await app.runService()
    }
}
