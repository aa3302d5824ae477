public import ArgumentParser
import CancelgateServer
import Foundation
import Logging

@main
struct Cancelgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancelgate",
        abstract: "One HTTP endpoint that cancels runs across Kubiya, Skyvern, Meibel and C1.",
        subcommands: [Serve.self, Check.self, Demo.self, Fakes.self, Cancel.self, Status.self, History.self, Jobs.self],
        defaultSubcommand: Serve.self)

    /// argument-parser's own `main`, except that `cancelgate cancel` promises exit status 2 for
    /// every usage error, where argument-parser exits 64 (EX_USAGE) for the ones it finds.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if arguments.first == "cancel", exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                exit(withError: ExitCode(2))
            }
            exit(withError: error)
        }
    }
}

/// Flags every serving command shares.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Defaults to $LOG_LEVEL, else info.")
    var logLevel: Logger.Level?

    @Option(help: "Log format: text, or json (one object per line, for log shippers). Defaults to $LOG_FORMAT, else text.")
    var logFormat: LogFormat?

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func makeLogger(label: String) -> Logger {
        let environment = ProcessInfo.processInfo.environment
        let level = logLevel ?? environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        let format = logFormat ?? environment["LOG_FORMAT"].flatMap { LogFormat(rawValue: $0.lowercased()) } ?? .text
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = TextLogHandler(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        return Logger(label: label)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
