import ArgumentParser
import CancelgateClient
import CancelgateWire
import CurlClient
import Foundation
import Logging

/// `cancelgate cancel`: cancel a list of IDs through a running gateway. The work is done by
/// `CancelSession` (Sources/CancelgateClient); this command reads the flags and the environment,
/// draws the progress bar and prints the report.
struct Cancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel runs through a running gateway.",
        discussion: """
            IDs come from the arguments, then --file (one per line; blank lines and '#' comments are skipped; '-' is standard \
            input), else from standard input when it is not a terminal. Lists longer than the gateway's max_items go in \
            several requests, each with an Idempotency-Key derived from its content: running the same command again (after \
            Ctrl-C, or a failed request) does not cancel anything twice. The token comes from $CANCELGATE_TOKEN.

            With --async the whole list is submitted once as a job (POST /v1/jobs), which runs on the gateway and survives \
            the loss of its replica; the command follows it with a progress line. Ctrl-C stops following, not the job, and \
            prints how to follow it again. Running the same command again answers the same job.

            Exit status: 0 every item ended cancelled, cancel_requested or already_terminal (with --dry-run: planned); \
            1 some did not; 2 usage or connection error, or a request failed (items after it were not sent); 130 Ctrl-C \
            while following a job.
            """)

    @Argument(help: "IDs to cancel.")
    var ids: [String] = []

    @Option(name: .shortAndLong, help: "Read IDs from this file, one per line ('-' reads standard input).")
    var file: String?

    @Option(help: "Upstream for every ID, instead of the gateway's routes.")
    var upstream: String?

    @Option(help: "Reason sent to the upstreams (default: the gateway's server.default_reason).")
    var reason: String?

    @Flag(help: "Validate and plan on the gateway (?dry_run=true); no upstream is called.")
    var dryRun = false

    @Flag(help: "Confirm by status reads that each run stopped (?confirm=true): results say confirmed or not, and the provider's word.")
    var confirm = false

    @Option(help: "Gateway URL. Defaults to $CANCELGATE_URL, else http://127.0.0.1:8080.")
    var server: String?

    @Flag(help: "Print the merged report as JSON.")
    var json = false

    @Flag(help: "Print one CSV record per item (RFC 4180).")
    var csv = false

    @Flag(name: .shortAndLong, help: "No progress bar.")
    var quiet = false

    @Option(help: "At most this many IDs per request (default and upper bound: the gateway's max_items).")
    var chunkSize: Int?

    @Option(help: "Seconds to wait for one request's answer.")
    var timeout: Int = 120

    @Flag(name: .customLong("async"), help: "Submit the list as one job on the gateway and follow it (see cancelgate jobs).")
    var asJob = false

    @Option(help: "With --async: upstream calls per second for the whole job.")
    var ratePerSecond: Double?

    @Flag(help: "With --async: print the job and return at once instead of following it.")
    var noFollow = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        do {
            if asJob { throw ExitCode(try await submitJob()) }
            let report = try await execute()
            throw ExitCode(report.exitCode)
        } catch let error as CancelCommandError {
            Self.printError(error.message)
            throw ExitCode(error.exitCode)
        }
    }

    private func execute() async throws -> MergedReport {
        if json && csv { throw CancelCommandError(.usage, "--json and --csv cannot be used together") }
        if let chunkSize, chunkSize < 1 { throw CancelCommandError(.usage, "--chunk-size must be at least 1") }
        if timeout < 1 { throw CancelCommandError(.usage, "--timeout must be at least 1 second") }
        let environment = ProcessInfo.processInfo.environment
        let stdinIsFile = isatty(STDIN_FILENO) == 0
        let ids = try IDList.read(arguments: ids, file: file, stdin: stdinIsFile ? { FileHandle.standardInput.readDataToEndOfFile() } : nil)
        let logger = logging.makeLogger(label: "cancelgate.cancel")
        let http = try CurlClient()
        defer { http.shutdown() }
        let client = try GatewayClient(
            server: server ?? environment["CANCELGATE_URL"] ?? "http://127.0.0.1:8080", token: environment["CANCELGATE_TOKEN"], http: http,
            timeout: .seconds(timeout), logger: logger)
        let session = CancelSession(
            client: client, parameters: CancelParameters(upstream: upstream, reason: reason, dryRun: dryRun, confirm: confirm), chunkSize: chunkSize)
        let progress = ProgressDrawer(enabled: !quiet && isatty(STDERR_FILENO) != 0)
        let report: MergedReport
        do {
            report = try await session.run(ids) { progress.draw($0) }
        } catch {
            progress.finish()
            throw error
        }
        progress.finish()
        print(json ? report.json() : csv ? report.csv() : report.table(), terminator: csv ? "" : "\n")
        if let failure = report.error {
            Self.printError(
                "request \(failure.request + 1) of \(failure.requests) failed: \(failure.message)\n"
                    + "\(failure.notSent) items were not sent (outcome not_sent). Run the same command again to send them: "
                    + "the requests already answered are replayed by the gateway, not cancelled twice.")
        }
        return report
    }

    /// `--async`: one `POST /v1/jobs` with every ID, then `JobFollower` unless `--no-follow`.
    private func submitJob() async throws -> Int32 {
        if dryRun { throw CancelCommandError(.usage, "--async cannot be a dry run; dry-run the list without --async") }
        if confirm { throw CancelCommandError(.usage, "--confirm does not apply to --async jobs") }
        if chunkSize != nil { throw CancelCommandError(.usage, "--chunk-size does not apply to --async: the gateway chunks a job itself") }
        if json || csv { throw CancelCommandError(.usage, "--json and --csv do not apply to --async; use cancelgate jobs results JOB_ID --json") }
        if let ratePerSecond, !(ratePerSecond > 0) { throw CancelCommandError(.usage, "--rate-per-second must be more than 0") }
        let environment = ProcessInfo.processInfo.environment
        let stdinIsFile = isatty(STDIN_FILENO) == 0
        let ids = try IDList.read(arguments: ids, file: file, stdin: stdinIsFile ? { FileHandle.standardInput.readDataToEndOfFile() } : nil)
        let http = try CurlClient()
        defer { http.shutdown() }
        let client = try GatewayClient(
            server: server ?? environment["CANCELGATE_URL"] ?? "http://127.0.0.1:8080", token: environment["CANCELGATE_TOKEN"], http: http,
            timeout: .seconds(timeout), logger: logging.makeLogger(label: "cancelgate.cancel"))
        let (job, replayed) = try await client.submitJob(ids, upstream: upstream, reason: reason, ratePerSecond: ratePerSecond)
        FileHandle.standardError.write(
            Data("job \(job.jobID) \(replayed ? "(submitted earlier, same list)" : "accepted"): \(job.total) items\n".utf8))
        if noFollow {
            print(job.jobID)
            return 0
        }
        return try await JobFollower(client: client, quiet: quiet).follow(job.jobID)
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("cancelgate cancel: \(message)\n".utf8))
    }
}

/// Draws `ProgressBar` on standard error, only when it is a terminal and not `--quiet`.
private final class ProgressDrawer {
    private let enabled: Bool
    /// A line was drawn without its final newline.
    private var open = false

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func draw(_ progress: CancelProgress) {
        guard enabled else { return }
        FileHandle.standardError.write(Data(ProgressBar.redraw(progress).utf8))
        open = progress.requestsDone < progress.requests
    }

    /// Ends a line left open by a run that stopped early.
    func finish() {
        if open { FileHandle.standardError.write(Data("\n".utf8)) }
        open = false
    }
}
