import CancelgateWire
import CancelgateCore
import CancelgateFakes
import CurlClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// `GET /metrics` after real traffic: the counts a Prometheus user would graph agree with the
/// reports the callers got and with the calls the fakes received; promtool accepts the text.
@Suite struct MetricsTests {
    @Test func scrapeAgreesWithReportsAndUpstreamCalls() async throws {
        let settings = GatewayHarness.Settings(autoCreate: true)
        try await GatewayHarness.run(
            settings,
            seed: { state in
                // One 503 on Meibel: one retry, and a 503 attempt in the upstream call counts.
                await state.addFaultRule(FaultRule(.status(503), times: 1), for: .meibel)
            }
        ) { h in
            var items: [String: Int] = [:]
            for round in 0..<3 {
                let ids = [
                    TestIDs.uuid(), TestIDs.uuid(), TestIDs.skyvernTask(), TestIDs.meibel(), TestIDs.meibel(), TestIDs.c1(), "nobody-knows-\(round)",
                ]
                let report = try await h.cancel(ids: ids)
                report.checkShape(expectedCount: ids.count)
                for result in report.results {
                    items["\(result.outcome == .unroutable ? "none" : result.upstream ?? "none")|\(result.outcome.rawValue)", default: 0] += 1
                }
            }
            let dryRun = try await h.cancel(GatewayHarness.body(ids: [TestIDs.c1(), TestIDs.skyvernTask()]), query: "?dry_run=true")
            for result in dryRun.results { items["\(result.upstream ?? "none")|planned", default: 0] += 1 }
            #expect(try await h.post(#"{"ids": []}"#).status == .unprocessableContent)
            #expect(try await h.post("{}", contentType: "text/plain").status == .unsupportedMediaType)

            let text = try await h.scrape()
            let samples = PrometheusSamples(text)

            // Items by upstream and outcome: exactly the reports' results.
            var scraped: [String: Int] = [:]
            for sample in samples.named("cancelgate_items_total") {
                scraped["\(sample.labels["upstream"] ?? "?")|\(sample.labels["outcome"] ?? "?")"] = Int(sample.value)
            }
            #expect(scraped == items)

            // Requests by status.
            let cancels = { (status: String) in
                samples.value("cancelgate_http_requests_total", ["route": "/v1/cancel", "method": "POST", "status": status])
            }
            #expect(cancels("200") == 4)
            #expect(cancels("422") == 1)
            #expect(cancels("415") == 1)

            // Upstream calls by upstream: every attempt the fakes received (token fetches aside).
            for provider in [FakeProvider.kubiya, .skyvern, .meibel, .c1] {
                let received = await h.fakes.state.calls(provider).filter { !$0.path.hasSuffix("/token") }.count
                let counted = samples.named("cancelgate_upstream_calls_total").filter { $0.labels["upstream"] == provider.rawValue }.map(\.value).reduce(0, +)
                #expect(Int(counted) == received, "\(provider)")
                let timed = samples.value("cancelgate_upstream_call_duration_seconds_count", ["upstream": provider.rawValue])
                #expect(timed == counted, "every attempt is timed (\(provider))")
            }
            #expect(samples.value("cancelgate_upstream_calls_total", ["upstream": "meibel", "status": "503"]) == 1)
            #expect(samples.value("cancelgate_upstream_retries_total", ["upstream": "meibel"]) == 1)
            #expect(samples.value("cancelgate_c1_token_fetches_total", ["upstream": "c1", "result": "ok"]) == Double(await h.fakes.state.tokensIssued()))

            try PromtoolCheck.run(text)
        }
    }

    @Test func inFlightCountsARequestHeldUpstream() async throws {
        try await GatewayHarness.run(seed: { state in await state.addFaultRule(FaultRule(.hang), for: .meibel) }) { h in
            let port = try #require(h.gateway.port)
            let id = TestIDs.meibel()
            await h.fakes.state.seed(.meibel, id: id, status: "RUNNING")
            async let held = h.cancel(ids: [id])
            await h.fakes.state.waitUntilHeld()
            // A second connection: the harness client would queue behind the held request.
            let client = try CurlClient()
            defer { client.shutdown() }
            let response = try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/metrics", timeout: .seconds(10)))
            let samples = PrometheusSamples(String(decoding: response.body, as: UTF8.self))
            #expect(samples.value("cancelgate_http_requests_in_flight", [:]) == 2, "the held cancel and this scrape")
            _ = await h.fakes.state.releaseHangs()
            _ = try await held
            let after = PrometheusSamples(try await h.scrape())
            #expect(after.value("cancelgate_http_requests_in_flight", [:]) == 1, "only the scrape itself")
        }
    }
}

extension GatewayHarness {
    func scrape() async throws -> String {
        let response = try await gateway.execute(uri: "/metrics", method: .get, headers: [:], body: nil)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        return String(buffer: response.body)
    }
}

/// Reads the sample lines of the Prometheus text format (what a test needs to compare values;
/// the format itself is written by swift-prometheus and checked by promtool).
struct PrometheusSamples {
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    let samples: [Sample]

    init(_ text: String) {
        samples = text.split(separator: "\n").compactMap { line -> Sample? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
            var labels: [String: String] = [:]
            // Label values here never contain `",` (upstream names, outcomes, routes, statuses).
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: "\",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[String(parts[0])] = String(parts[1].drop { $0 == "\"" }.prefix { $0 != "\"" })
            }
            return Sample(name: String(series[..<brace]), labels: labels, value: value)
        }
    }

    func named(_ name: String) -> [Sample] { samples.filter { $0.name == name } }

    /// The sample with exactly these labels; nil when absent.
    func value(_ name: String, _ labels: [String: String]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}

/// `promtool check metrics` (Debian's `prometheus` package). Without promtool the check is
/// recorded as missing and passes, unless CANCELGATE_REQUIRE_TOOLS is set (as `.ci/run` does).
enum PromtoolCheck {
    static func run(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            let required = ProcessInfo.processInfo.environment["CANCELGATE_REQUIRE_TOOLS"] != nil
            #expect(!required, "promtool is not installed (apt-get install prometheus)", sourceLocation: sourceLocation)
            if !required { Issue.record("promtool not installed: /metrics text not linted", severity: .warning) }
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "promtool check metrics: \(report)", sourceLocation: sourceLocation)
        #expect(report.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool check metrics: \(report)", sourceLocation: sourceLocation)
    }
}
