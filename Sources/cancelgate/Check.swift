import ArgumentParser
import CancelgateCore
import Foundation

/// `cancelgate check [FILE]`: the start-up validation, without serving.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Validate a routes.json file and exit non-zero with its problems.")

    @Argument(help: "The configuration file to check.")
    var file: String = "routes.json"

    func run() throws {
        do {
            let config = try ConfigLoader.load(path: file, environment: ProcessInfo.processInfo.environment)
            print("\(file): OK — \(config.upstreams.count) upstreams, \(config.routes.count) routes, \(config.clients.count) clients")
        } catch {
            FileHandle.standardError.write(Data("\(file): invalid\n\(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}
