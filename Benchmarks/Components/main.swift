// Per-component benchmarks (issue #14): what each part of a request costs on its own, in process,
// no sockets, so that a regression shows where it is. `Benchmarks/run --only components` runs
// them (release build) and writes Benchmarks/results/components.json; run alone:
// `swift run -c release cancelgate-components [--seconds S] [--json] [--only NAME]`.
//
// Each benchmark runs in batches for at least `--seconds` (1 by default) after a warm-up; the
// figure is the median time per operation over the batches (and the fastest batch). Times are
// for comparing runs on one machine, not targets.
import CancelgateCore
import CancelgateServer
import CancelgateWire
import CurlClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

/// Answers every call at once as Kubiya's single terminate does (the only upstream the single-ID
/// benchmarks call): the pipeline, adapter and report run, the network does not.
struct InstantKubiya: HTTPTransport {
    func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
        CurlResponse(
            status: 200, headers: [HTTPHeader("Content-Type", "application/json")],
            body: Data(#"{"success":true,"workflow_id":"wf-1","terminated_at":"2026-12-04T00:00:00Z"}"#.utf8))
    }
}

enum Components {
    static let routes = """
        {"server": {"max_items": 10000, "max_body_bytes": 4194304},
         "store": {"type": "memory"},
         "upstreams": {
           "kubiya": {"provider": "kubiya", "base_url": "http://127.0.0.1:9/kubiya", "mode": "batch", "auth": {"type": "bearer", "token": "kby_bench"}},
           "kubiya_single": {"provider": "kubiya", "base_url": "http://127.0.0.1:9/kubiya", "mode": "single", "auth": {"type": "bearer", "token": "kby_bench"}},
           "skyvern": {"provider": "skyvern", "base_url": "http://127.0.0.1:9/skyvern", "auth": {"type": "header", "name": "x-api-key", "value": "sk_bench"}},
           "meibel": {"provider": "meibel", "base_url": "http://127.0.0.1:9/meibel/v2", "auth": {"type": "header", "name": "Meibel-API-Key", "value": "mbl_bench"}},
           "c1": {"provider": "c1", "base_url": "http://127.0.0.1:9/c1", "auth": {"type": "bearer", "token": "c1_bench"}}},
         "routes": [
           {"match": {"prefix": "tsk_"}, "upstream": "skyvern"}, {"match": {"prefix": "bex_"}, "upstream": "meibel"},
           {"match": {"regex": "^[0-9]{1,19}$"}, "upstream": "c1"}, {"match": {"regex": "^[0-9a-fA-F-]{36}$"}, "upstream": "kubiya"}]}
        """

    /// 1,000 IDs, a quarter for each provider, as the end-to-end benchmarks send them.
    static let mixed: [String] = (0..<1000).map { index in
        switch index % 4 {
        case 0: LowercaseUUID.make()
        case 1: "tsk_\(400_000_000_000 + index)"
        case 2: "bex_\(UUID().uuidString.lowercased().prefix(12))"
        default: "\(100_000_000_000 + index)"
        }
    }

    static func report(_ count: Int) -> CancelReport {
        let results = (0..<count).map { index in
            ItemResult(
                index: index, id: mixed[index % mixed.count], upstream: "kubiya", provider: "kubiya", outcome: .cancelled,
                cancelledAt: "2026-12-04T00:00:00Z", httpStatus: 200, attempts: 1)
        }
        return CancelReport(requestID: "bench", dryRun: false, summary: Summary(results), results: results, plan: nil)
    }
}

struct Figure: Encodable {
    let name: String
    let what: String
    let median_ns: Double
    let fastest_ns: Double
    let operations: Int
}

/// Runs `operation` in batches for at least `seconds`; nanoseconds per operation.
/// `--only NAME`: run that benchmark only (the others report nothing), e.g. under callgrind.
let only: String? = CommandLine.arguments.firstIndex(of: "--only").map { CommandLine.arguments[$0 + 1] }

func measure(
    _ name: String, _ what: String, seconds: Double, isolation: isolated (any Actor)? = #isolation, _ operation: () async throws -> Void
) async rethrows -> Figure? {
    if let only, only != name { return nil }
    let clock = ContinuousClock()
    for _ in 0..<20 { try await operation() }
    // A batch long enough to time (about 10 ms), found from one timed call.
    let probeStart = clock.now
    try await operation()
    let probe = max(1, Int((clock.now - probeStart) / .nanoseconds(1)))
    let batch = max(1, 10_000_000 / probe)
    var perOperation: [Double] = []
    var operations = 0
    let end = clock.now + .milliseconds(Int(seconds * 1000))
    repeat {
        let start = clock.now
        for _ in 0..<batch { try await operation() }
        let elapsed = clock.now - start
        perOperation.append(Double(elapsed / .nanoseconds(1)) / Double(batch))
        operations += batch
    } while clock.now < end || perOperation.count < 5
    perOperation.sort()
    return Figure(name: name, what: what, median_ns: perOperation[perOperation.count / 2], fastest_ns: perOperation[0], operations: operations)
}

@main
struct ComponentBenchmarks {
    static func main() async throws {
        let arguments = CommandLine.arguments
        let seconds = arguments.firstIndex(of: "--seconds").flatMap { Double(arguments[$0 + 1]) } ?? 1.0
        let json = arguments.contains("--json")
        let config = try ConfigLoader.load(data: Data(Components.routes.utf8), environment: [:])
        let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        let service = CancelService(config: config, transport: InstantKubiya())
        var figures: [Figure?] = []

        let report = Components.report(1000)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        figures.append(await measure("report.encode.1000", "ReportJSON writing a 1,000-result report", seconds: seconds) {
            _ = ReportJSON.encode(report)
        })
        figures.append(try await measure("report.jsonencoder.1000", "Foundation's JSONEncoder writing the same report (the baseline)", seconds: seconds) {
            _ = try encoder.encode(report)
        })
        let dryRun = CancelRequest(requestID: "bench", reason: "bench", entries: Components.mixed.map { CancelEntry(id: $0) }, dryRun: true)
        figures.append(await measure("plan.dry_run.1000", "CancelService: route, check, de-duplicate, chunk and plan 1,000 IDs, build the report", seconds: seconds) {
            _ = await service.cancel(dryRun, logger: logger)
        })
        let single = CancelRequest(requestID: "bench", reason: "bench", defaultUpstream: "kubiya_single", entries: [CancelEntry(id: LowercaseUUID.make())])
        figures.append(await measure("pipeline.single", "CancelService: one Kubiya single cancel through the whole pipeline, instant transport", seconds: seconds) {
            _ = await service.cancel(single, logger: logger)
        })

        // The same through the HTTP application (router, middleware, body parsing, store, log
        // line, answer), without sockets: HummingbirdTesting's router mode.
        let textLogger = Logger(label: "cancelgate") { TextLogHandler(label: $0, write: { _ in }) }
        let app = buildApplication(config: config, transport: InstantKubiya(), logger: textLogger)
        let dryBody = ByteBuffer(bytes: try JSONEncoder().encode(["ids": Components.mixed]))
        let headers: HTTPFields = [.contentType: "application/json"]
        figures += try await app.test(.router) { client in
            [
                try await measure("http.dry_run.1000", "POST /v1/cancel?dry_run=true, 1,000 IDs: parse the body, plan, write the answer", seconds: seconds) {
                let response = try await client.execute(uri: "/v1/cancel?dry_run=true", method: .post, headers: headers, body: dryBody)
                precondition(response.status == .ok)
                },
                try await measure("http.cancel.single", "POST /v1/cancel, one Kubiya ID, instant transport: everything but the sockets", seconds: seconds) {
                let body = ByteBuffer(string: #"{"upstream":"kubiya_single","ids":[""# + LowercaseUUID.make() + #""]}"#)
                let response = try await client.execute(uri: "/v1/cancel", method: .post, headers: headers, body: body)
                precondition(response.status == .ok)
                },
            ]
        }

        let measured = figures.compactMap { $0 }
        if json {
            let output = JSONEncoder()
            output.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try output.encode(measured))
            FileHandle.standardOutput.write(Data("\n".utf8))
        } else {
            for figure in measured {
                let name = figure.name.padding(toLength: 26, withPad: " ", startingAt: 0)
                print(name + String(format: "%10.1f µs  (fastest %.1f, %d operations)  ", figure.median_ns / 1000, figure.fastest_ns / 1000, figure.operations) + figure.what)
            }
        }
    }
}
