import ArgumentParser
import CancelgateClient
import CancelgateWire
import CurlClient
import Dispatch
import Foundation
import Logging

/// `cancelgate jobs …`: the jobs of a running gateway (CONTRACT §6). `cancelgate cancel --async`
/// submits one and follows it with `JobFollower`.
struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, follow, page and stop the gateway's jobs (cancel --async submits one).",
        subcommands: [List.self, Show.self, Results.self, Stop.self, Follow.self])

    struct Connection: ParsableArguments {
        @Option(help: "Gateway URL. Defaults to $CANCELGATE_URL, else http://127.0.0.1:8080.")
        var server: String?

        @Option(help: "Seconds to wait for each answer.")
        var timeout: Int = 60

        @OptionGroup var logging: LoggingOptions

        /// Runs `body` with a client of the gateway; a `CancelCommandError` is printed and exits 2.
        func with<T>(_ command: String, _ body: (GatewayClient) async throws -> T) async throws -> T {
            let environment = ProcessInfo.processInfo.environment
            let http = try CurlClient()
            defer { http.shutdown() }
            do {
                let client = try GatewayClient(
                    server: server ?? environment["CANCELGATE_URL"] ?? "http://127.0.0.1:8080", token: environment["CANCELGATE_TOKEN"],
                    http: http, timeout: .seconds(timeout), logger: logging.makeLogger(label: "cancelgate.jobs"))
                return try await body(client)
            } catch let error as CancelCommandError {
                FileHandle.standardError.write(Data("cancelgate \(command): \(error.message)\n".utf8))
                throw ExitCode(error.exitCode)
            }
        }
    }

    static func notFound(_ command: String, _ id: String) -> ExitCode {
        FileHandle.standardError.write(Data("cancelgate \(command): no job \(id) is visible to you\n".utf8))
        return ExitCode(1)
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "The caller's jobs, newest first.")

        @Option(help: "Only jobs in this state: queued, running, completed, cancelled.")
        var state: String?

        @Option(help: "At most this many jobs.")
        var limit: Int = 50

        @Flag(help: "Print JSON.")
        var json = false

        @OptionGroup var connection: Connection

        func validate() throws {
            if limit < 1 { throw ValidationError("--limit must be at least 1") }
            if let state, !JobState.all.map(\.rawValue).contains(state) {
                throw ValidationError("--state must be one of \(JobState.all.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            let jobs = try await connection.with("jobs list") { try await $0.jobs(state: state, max: limit) }
            print(json ? JobRendering.json(jobs) : JobRendering.table(jobs))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One job: state, progress and summary.")

        @Argument(help: "The job ID.")
        var id: String

        @Flag(help: "Print JSON.")
        var json = false

        @OptionGroup var connection: Connection

        func run() async throws {
            guard let job = try await connection.with("jobs show", { try await $0.job(id) }) else { throw Jobs.notFound("jobs show", id) }
            print(json ? JobRendering.json(job) : JobRendering.describe(job))
        }
    }

    struct Results: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "results", abstract: "A job's results so far, in list order, read page by page.")

        @Argument(help: "The job ID.")
        var id: String

        @Option(help: "Only results of this outcome (e.g. failed).")
        var outcome: String?

        @Flag(help: "Print one JSON array of the results.")
        var json = false

        @Flag(help: "Print one CSV record per item (RFC 4180).")
        var csv = false

        @OptionGroup var connection: Connection

        func validate() throws {
            if json && csv { throw ValidationError("--json and --csv cannot be used together") }
        }

        func run() async throws {
            let found = try await connection.with("jobs results") { client -> Bool in
                guard try await client.job(id) != nil else { return false }
                var cursor: String?
                var first = true
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                if json { print("[", terminator: "") }
                repeat {
                    let page = try await client.jobResults(id, outcome: outcome, cursor: cursor)
                    if json {
                        for result in page.results {
                            print((first ? "\n  " : ",\n  ") + String(decoding: (try? encoder.encode(result)) ?? Data(), as: UTF8.self), terminator: "")
                            first = false
                        }
                    } else if csv {
                        print(MergedReport.csv(page.results, header: first), terminator: "")
                        first = false
                    } else if !page.results.isEmpty {
                        print(ReportTable.render(page.results))
                    }
                    cursor = page.next_cursor
                } while cursor != nil
                if json { print(first ? "]" : "\n]") }
                return true
            }
            if !found { throw Jobs.notFound("jobs results", id) }
        }
    }

    struct Stop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "cancel", abstract: "Stop a job: items not yet sent end failed, job_cancelled.")

        @Argument(help: "The job ID.")
        var id: String

        @OptionGroup var connection: Connection

        func run() async throws {
            guard let job = try await connection.with("jobs cancel", { try await $0.cancelJob(id) }) else { throw Jobs.notFound("jobs cancel", id) }
            print(job.state.isFinished ? "job \(job.jobID) had already ended \(job.state.rawValue)" : "job \(job.jobID): stop requested (\(job.done)/\(job.total) done)")
        }
    }

    struct Follow: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "follow", abstract: "Follow a job to its end with a progress line; Ctrl-C stops following, not the job.",
            discussion: "Exit status: 0 every item ended cancelled, cancel_requested or already_terminal; 1 some did not (or the job was stopped); 2 usage or connection error; 130 Ctrl-C.")

        @Argument(help: "The job ID.")
        var id: String

        @Flag(name: .shortAndLong, help: "No progress line.")
        var quiet = false

        @OptionGroup var connection: Connection

        func run() async throws {
            let code = try await connection.with("jobs follow") { client in try await JobFollower(client: client, quiet: quiet).follow(id) }
            throw ExitCode(code)
        }
    }
}
