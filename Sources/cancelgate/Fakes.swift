import ArgumentParser
import CancelgateFakes
import Foundation
import Hummingbird
import Logging

/// `cancelgate fakes`: the four fake providers alone, for trying a gateway, chaos runs or benchmarks.
struct Fakes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the fake Kubiya, Skyvern, Meibel and C1 upstreams on loopback.",
        discussion: "Faults can also be changed while they run: GET, POST and DELETE /_admin/faults, POST /_admin/release.")

    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 9090

    @Option(help: "Latency in milliseconds added to every fake upstream call.")
    var latencyMs: Int = 0

    @Flag(help: "Treat every unknown well-formed ID as a running run (for benchmarks).")
    var autoCreate = false

    @Option(help: "Milliseconds after a cancel until C1 and Meibel runs reach their final state (both stop asynchronously; 0: at once).")
    var stopDelayMs: Int = 500

    @Option(help: "Write a routes.json pointing at these fakes (with their generated credentials) to this path.")
    var writeRoutes: String?

    @Option(name: .customLong("fault"), help: ArgumentHelp("A fault to inject, repeatable: \(FaultRuleDocument.specHelp)", valueName: "spec"))
    var faults: [String] = []

    @Option(help: "Seed of the generator that decides fault probabilities, to replay a run (default: a random one, printed at start).")
    var seed: UInt64?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        _ = try Self.faultRules(faults)
        if stopDelayMs < 0 { throw ValidationError("--stop-delay-ms cannot be negative") }
    }

    func run() async throws {
        let logger = logging.makeLogger(label: "cancelgate.fakes")
        let latency = Dictionary(uniqueKeysWithValues: FakeProvider.allCases.map { ($0, Duration.milliseconds(latencyMs)) })
        let seed = self.seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        let fakes = FakeUpstreams(latency: latency, autoCreate: autoCreate, seed: seed, faults: try Self.faultRules(faults))
        for provider in [FakeProvider.c1, .meibel] { await fakes.state.setStopDelay(.milliseconds(stopDelayMs), for: provider) }
        let writeRoutes = self.writeRoutes
        let faultLines = Self.describe(await fakes.state.faultRules())
        let app = fakes.buildApplication(
            port: port,
            onServerRunning: { port in
                if let writeRoutes {
                    try? fakes.routesJSON(port: port, gatewayPort: 8080).write(toFile: writeRoutes, atomically: true, encoding: .utf8)
                }
                let listening = "fakes listening on http://127.0.0.1:\(port)" + (writeRoutes.map { "; routes written to \($0)" } ?? "")
                let faults = "fault seed \(seed); faults: " + (faultLines.isEmpty ? "none" : "\n" + faultLines)
                // Unbuffered, so a script reading a pipe sees the port (`--port 0`) at once.
                FileHandle.standardOutput.write(Data((listening + "\n" + faults + "\n").utf8))
            }, logger: logger)
        try await app.runService()
    }

    /// Every `--fault` spec as a rule, or a `ValidationError` naming the bad one.
    static func faultRules(_ specs: [String]) throws -> [FakeProvider: [FaultRule]] {
        var rules: [FakeProvider: [FaultRule]] = [:]
        for spec in specs {
            do {
                let (provider, rule) = try FaultRuleDocument(spec: spec).resolved()
                rules[provider, default: []].append(rule)
            } catch {
                throw ValidationError("--fault \(spec): \(error.description).\nA fault is \(FaultRuleDocument.specHelp)")
            }
        }
        return rules
    }

    /// One indented line per rule, providers in a fixed order.
    static func describe(_ rules: [FakeProvider: [FaultRule]]) -> String {
        FakeProvider.allCases.flatMap { provider in
            (rules[provider] ?? []).map { "  " + provider.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0) + $0.description }
        }.joined(separator: "\n")
    }
}
