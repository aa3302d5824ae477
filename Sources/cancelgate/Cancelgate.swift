public import ArgumentParser
import Foundation
import Logging

@main
struct Cancelgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancelgate",
        abstract: "One HTTP endpoint that cancels runs across Kubiya, Skyvern, Meibel and C1.",
        subcommands: [Serve.self, Check.self, Demo.self, Fakes.self],
        defaultSubcommand: Serve.self)
}

/// Flags every serving command shares.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical. Defaults to $LOG_LEVEL, else info.")
    var logLevel: Logger.Level?

    func makeLogger(label: String) -> Logger {
        let level = logLevel ?? ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
