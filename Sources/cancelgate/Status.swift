import ArgumentParser
import CancelgateClient
import CancelgateWire
import CurlClient
import Foundation
import Logging

/// `cancelgate status`: what is true of runs now, read from their providers through a running
/// gateway (`POST /v1/status`). Nothing is cancelled.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show whether runs are still running, cancelled or ended, as their providers say now.",
        discussion: """
            IDs come from the arguments, then --file (one per line; blank lines and '#' comments are skipped; '-' is standard \
            input), else from standard input when it is not a terminal, as for `cancelgate cancel`. No run is changed. The \
            token comes from $CANCELGATE_TOKEN.

            Exit status: 0 every run's status was read (running, cancelled or ended); 1 some could not be (unknown, \
            not_found, invalid, unroutable, forbidden); 2 usage or connection error.
            """)

    @Argument(help: "IDs to read.")
    var ids: [String] = []

    @Option(name: .shortAndLong, help: "Read IDs from this file, one per line ('-' reads standard input).")
    var file: String?

    @Option(help: "Upstream for every ID, instead of the gateway's routes.")
    var upstream: String?

    @Option(help: "Gateway URL. Defaults to $CANCELGATE_URL, else http://127.0.0.1:8080.")
    var server: String?

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Print one CSV record per run (RFC 4180).")
    var csv = false

    @Option(help: "Seconds to wait for one request's answer.")
    var timeout: Int = 60

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv cannot be used together") }
        if timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = logging.makeLogger(label: "cancelgate.status")
        let http = try CurlClient()
        defer { http.shutdown() }
        do {
            let stdinIsFile = isatty(STDIN_FILENO) == 0
            let ids = try IDList.read(arguments: ids, file: file, stdin: stdinIsFile ? { FileHandle.standardInput.readDataToEndOfFile() } : nil)
            let client = try GatewayClient(
                server: server ?? environment["CANCELGATE_URL"] ?? "http://127.0.0.1:8080", token: environment["CANCELGATE_TOKEN"], http: http,
                timeout: .seconds(timeout), logger: logger)
            let report = try await client.status(ids, upstream: upstream)
            print(json ? report.json() : csv ? report.csv() : report.table(), terminator: csv ? "" : "\n")
            throw ExitCode(report.exitCode)
        } catch let error as CancelCommandError {
            FileHandle.standardError.write(Data("cancelgate status: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
    }
}
