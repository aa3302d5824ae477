public import ArgumentParser
import CancelgateServer
import Foundation
import Logging

@main
struct Cancelgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancelgate",
        abstract: "One HTTP endpoint that cancels runs across Kubiya, Skyvern, Meibel and C1.",
        subcommands: [Serve.self, Check.self, Demo.self, Fakes.self, Cancel.self],
        defaultSubcommand: Serve.self)
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
                var handler = StreamLogHandler.standardError(label: label)
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
