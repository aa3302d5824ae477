import ArgumentParser
import CancelgateClient
import CancelgateWire
import CurlClient
import Foundation
import Logging

/// `cancelgate history`: who cancelled a run, when, why and with what outcome, from a running
/// gateway's records (`GET /v1/cancels`).
struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show who cancelled a run, when, why and with what outcome (newest first).",
        discussion: """
            Reads the gateway's records (GET /v1/cancels?id=RUN_ID), or one request's record with --request. The token \
            comes from $CANCELGATE_TOKEN: a client sees its own requests, an admin client everyone's.

            Exit status: 0 something was found; 1 no record matched; 2 usage or connection error.
            """)

    @Argument(help: "The run ID to look up.")
    var id: String?

    @Option(help: "Show one request's record (its whole report) instead.")
    var request: String?

    @Option(help: "Only requests received at or after this RFC 3339 time (e.g. 2026-12-01T00:00:00Z).")
    var since: String?

    @Option(help: "At most this many requests.")
    var limit: Int = 1000

    @Option(help: "Gateway URL. Defaults to $CANCELGATE_URL, else http://127.0.0.1:8080.")
    var server: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print CSV (RFC 4180).")
    var csv = false

    @Option(help: "Seconds to wait for each answer.")
    var timeout: Int = 30

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv cannot be used together") }
        if (id == nil) == (request == nil) { throw ValidationError("give a run ID, or --request REQUEST_ID (not both)") }
        if request != nil && since != nil { throw ValidationError("--since applies to a run ID's history, not to --request") }
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
        if let since, Self.isRFC3339(since) == false { throw ValidationError("--since \(since) is not an RFC 3339 time like 2026-12-01T00:00:00Z") }
    }

    static func isRFC3339(_ text: String) -> Bool { RecordTime.parse(text) != nil }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = logging.makeLogger(label: "cancelgate.history")
        let http = try CurlClient()
        defer { http.shutdown() }
        do {
            let client = try GatewayClient(
                server: server ?? environment["CANCELGATE_URL"] ?? "http://127.0.0.1:8080", token: environment["CANCELGATE_TOKEN"], http: http,
                timeout: .seconds(timeout), logger: logger)
            if let request {
                guard let record = try await client.record(requestID: request) else {
                    FileHandle.standardError.write(Data("cancelgate history: no record of request \(request) is visible to you\n".utf8))
                    throw ExitCode(1)
                }
                print(json ? record.json() : csv ? record.csv() : record.table(), terminator: csv ? "" : "\n")
                return
            }
            let id = id ?? ""
            var parameters = [("id", id)]
            if let since { parameters.append(("since", since)) }
            let history = RunHistory(id: id, records: try await client.records(parameters, max: limit))
            print(json ? history.json() : csv ? history.csv() : history.table(), terminator: csv ? "" : "\n")
            if history.entries.isEmpty { throw ExitCode(1) }
        } catch let error as CancelCommandError {
            FileHandle.standardError.write(Data("cancelgate history: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
    }
}
