import CancelgateWire
import CancelgateCore
import CancelgateFakes
import CancelgateServer
import CurlClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import Testing

/// SIGTERM in the middle of a 500-ID request: the caller still gets all 500 results. The gateway
/// runs in the same service group shape as `cancelgate serve`; `triggerGracefulShutdown()` is
/// what the group does on SIGTERM.
@Suite struct GracefulShutdownTests {
    @Test func inFlightRequestFinishesDuringShutdown() async throws {
        let latency = Dictionary(uniqueKeysWithValues: FakeProvider.allCases.map { ($0, Duration.milliseconds(150)) })
        let fakes = FakeUpstreams(latency: latency, autoCreate: true)
        let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let ids = (0..<200).map { _ in TestIDs.uuid() } + (0..<100).map { "tsk_\(1_000_000 + $0)" }
            + (0..<100).map { "bex_\(2_000_000 + $0)" } + (0..<100).map { String(3_000_000 + $0) }
        try await fakes.buildApplication(port: 0, logger: quiet).test(.live) { fakesClient in
            let json = fakes.routesJSON(port: try #require(fakesClient.port))
            let config = try ConfigLoader.load(data: Data(json.utf8), environment: [:])
            let gatewayClient = try CurlClient()
            let caller = try CurlClient()
            defer { caller.shutdown() }
            let readiness = Readiness()
            let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
            let app = buildApplication(
                config: config, transport: gatewayClient,
                options: GatewayOptions(host: "127.0.0.1", port: 0, readiness: readiness, onServerRunning: { portSink.yield($0) }), logger: quiet)
            let group = ServiceGroup(
                configuration: .init(services: [CurlClientService(client: gatewayClient), app, ReadinessService(readiness: readiness)], logger: quiet))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let port = try #require(await ports.first { _ in true })
                async let answer = caller.execute(
                    CurlRequest(
                        method: "POST", url: "http://127.0.0.1:\(port)/v1/cancel", headers: [HTTPHeader("Content-Type", "application/json")],
                        body: Data(GatewayHarness.body(ids: ids).utf8), timeout: .seconds(60)))
                // Shut down once the upstream calls are under way.
                while await fakes.state.calls(.meibel).isEmpty { await Task.yield() }
                await group.triggerGracefulShutdown()
                let response = try await answer
                #expect(response.status == 200)
                let report = try JSONDecoder().decode(CancelReport.self, from: response.body)
                report.checkShape(expectedCount: 500)
                #expect(report.results.allSatisfy { $0.outcome.isSuccess }, "\(report.summary)")
                #expect(readiness.isDraining)
                try await tasks.waitForAll()
                // The server no longer accepts requests.
                await #expect(throws: CurlError.self) {
                    _ = try await caller.execute(CurlRequest(url: "http://127.0.0.1:\(port)/healthz", timeout: .seconds(5)))
                }
            }
        }
    }
}
