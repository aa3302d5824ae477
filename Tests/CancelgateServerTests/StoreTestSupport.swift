import CancelgateFakes
import CancelgateWire
import CurlClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// `routes.json` text with a `store` object put in at the top.
func withStore(_ json: String, _ store: String) -> String {
    guard let brace = json.firstIndex(of: "{") else { return json }
    return String(json[...brace]) + "\n  \"store\": \(store)," + String(json[json.index(after: brace)...])
}

/// A fresh temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL
    var path: String { url.path }

    init(_ prefix: String = "cancelgate-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { url.appendingPathComponent(name).path }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// The fake upstreams on 127.0.0.1, port 0, for gateways running as processes.
enum FakesServer {
    static func run(autoCreate: Bool = true, _ body: @Sendable (FakeUpstreams, Int) async throws -> Void) async throws {
        let fakes = FakeUpstreams(autoCreate: autoCreate)
        let app = fakes.buildApplication(port: 0, logger: Logger(label: "fakes", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            defer { Task { await fakes.state.releaseHangs() } }
            try await body(fakes, port)
            await fakes.state.releaseHangs()
        }
    }
}

/// One `cancelgate serve` process (the binary built beside the tests), its log in a file.
final class ServeProcess: @unchecked Sendable {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cancelgate")
    }

    let process = Process()
    let logPath: String
    private(set) var port = 0
    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts `serve --config <config> --port 0` in `directory` and waits for its `listening`
    /// line (or for it to exit, which `start` reports).
    init(config: String, directory: String, name: String = "serve", environment: [String: String] = [:]) throws {
        logPath = (directory as NSString).appendingPathComponent("\(name)-\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.executableURL = Self.binary
        process.arguments = ["serve", "--config", config, "--host", "127.0.0.1", "--port", "0", "--log-format", "json", "--log-level", "info"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Polls the log for the `listening` line; throws if the process exits first or 60 s pass.
    func waitUntilListening() async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            for line in log.split(separator: "\n") where line.contains(#""message":"listening""#) {
                if let data = line.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                    let address = object["server.address"] as? String, let port = address.split(separator: ":").last.flatMap({ Int($0) })
                {
                    self.port = port
                    return
                }
            }
            if !process.isRunning { throw ServeExited(status: process.terminationStatus, log: log) }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ServeExited(status: -1, log: "not listening after 60 s\n" + log)
    }

    struct ServeExited: Error, CustomStringConvertible {
        let status: Int32
        let log: String
        var description: String { "cancelgate serve exited (\(status)):\n\(log)" }
    }

    /// Waits (polling) for the process to end; returns its status.
    @discardableResult
    func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { throw ServeExited(status: -1, log: "still running after \(timeout)\n" + log) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }

    func signal(_ signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// SIGTERM, then SIGKILL if it has not ended in 20 s.
    func stop() async {
        signal(SIGTERM)
        if (try? await waitForExit(timeout: .seconds(20))) == nil {
            signal(SIGKILL)
            _ = try? await waitForExit()
        }
    }
}

/// Plain HTTP calls to a gateway process.
struct GatewayHTTP {
    let client: CurlClient

    func get(_ url: String) async throws -> CurlResponse {
        try await client.execute(CurlRequest(method: "GET", url: url))
    }

    func cancel(_ base: String, body: String, key: String? = nil, requestID: String? = nil) async throws -> CurlResponse {
        var headers = [HTTPHeader("Content-Type", "application/json")]
        if let key { headers.append(HTTPHeader("Idempotency-Key", key)) }
        if let requestID { headers.append(HTTPHeader("X-Request-ID", requestID)) }
        return try await client.execute(CurlRequest(method: "POST", url: base + "/v1/cancel", headers: headers, body: Data(body.utf8)))
    }

    func record(_ base: String, _ requestID: String) async throws -> CancelRecord? {
        let response = try await get(base + "/v1/cancels/" + requestID)
        guard response.status == 200 else { return nil }
        return try JSONDecoder().decode(CancelRecord.self, from: response.body)
    }

    /// Polls until `condition` holds of the record (or 30 s pass).
    func waitForRecord(_ base: String, _ requestID: String, _ condition: (CancelRecord) -> Bool) async throws -> CancelRecord {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let record = try? await record(base, requestID), condition(record) { return record }
            try await Task.sleep(for: .milliseconds(50))
        }
        let last = try? await record(base, requestID)
        Issue.record("record \(requestID) never reached the expected state; last: \(String(describing: last))")
        throw CancellationError()
    }
}

/// A private PostgreSQL cluster on a free loopback port, trust authentication on 127.0.0.1 only,
/// started by the test and stopped at its end (Debian's `postgresql` package; as user
/// `postgres` through `runuser` when the tests run as root, since `initdb` refuses root).
final class PostgresCluster: @unchecked Sendable {
    let directory: TemporaryDirectory
    let bin: String
    private(set) var port: Int
    var data: String { directory.file("data") }

    /// The server binaries, or nil when PostgreSQL is not installed.
    static var binDirectory: String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        return versions.reversed().map { "\(root)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }

    /// Runs `body` with a started cluster; without PostgreSQL says so and skips, unless
    /// CANCELGATE_REQUIRE_TOOLS is set (as `.ci/run` does).
    static func with(_ body: (PostgresCluster) async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        guard let bin = binDirectory else {
            let required = ProcessInfo.processInfo.environment["CANCELGATE_REQUIRE_TOOLS"] != nil
            #expect(!required, "PostgreSQL is not installed (apt-get install postgresql)", sourceLocation: sourceLocation)
            if !required { Issue.record("PostgreSQL not installed: test skipped", severity: .warning) }
            return
        }
        let cluster = try PostgresCluster(bin: bin)
        do {
            try cluster.start()
        } catch {
            cluster.destroy()
            throw error
        }
        do {
            try await body(cluster)
        } catch {
            cluster.destroy()
            throw error
        }
        cluster.destroy()
    }

    private init(bin: String) throws {
        self.bin = bin
        self.directory = try TemporaryDirectory("cancelgate-pg")
        self.port = try Self.freePort()
    }

    static var asRoot: Bool { geteuid() == 0 }

    /// Runs a PostgreSQL tool as `postgres` (when root) and returns its output; throws on failure.
    /// Spawned and awaited with posix_spawn/waitpid rather than Foundation's Process, whose
    /// waitUntilExit was seen never to return after `pg_ctl start` (the server it leaves behind).
    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        // Through a small closer: posix_spawn hands the child every descriptor of this test
        // process that lacks close-on-exec (sockets of tests running beside), and a server
        // started with too few left refuses to start ("insufficient file descriptors").
        let closer = ["/usr/bin/python3", "-c", "import os, sys; os.closerange(3, 1 << 16); os.execv(sys.argv[1], sys.argv[1:])"]
        let argv = closer + (Self.asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--", "\(bin)/\(tool)"] : ["\(bin)/\(tool)"]) + arguments
        let outputPath = directory.file("tool-\(UUID().uuidString.prefix(8)).out")
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = directory.path.withCString { _ in posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ) }
        guard spawned == 0 else { throw ToolFailed(description: "cannot start \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        guard exited == 0 else {
            throw ToolFailed(description: "\(tool) \(arguments.joined(separator: " ")) exited \(exited): \(text)")
        }
        return text
    }

    struct ToolFailed: Error, CustomStringConvertible { let description: String }

    private func start() throws {
        if Self.asRoot {
            _ = chown(directory.path, Self.postgresUID, Self.postgresGID)
        }
        try run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--no-instructions"])
        // Loopback only; sockets in our own directory; trust holds for 127.0.0.1 (initdb -A trust).
        try Data("host all all 127.0.0.1/32 trust\n".utf8).write(to: URL(fileURLWithPath: "\(data)/pg_hba.conf"))
        if Self.asRoot { _ = chown("\(data)/pg_hba.conf", Self.postgresUID, Self.postgresGID) }
        // The free port may be taken between our probe and the server's bind (tests run in
        // parallel): try another one, twice.
        for attempt in 1...3 {
            do {
                try startServer()
                return
            } catch {
                let log = (try? String(contentsOfFile: directory.file("server.log"), encoding: .utf8)) ?? ""
                guard attempt < 3 else { throw ToolFailed(description: "\(error)\nserver.log:\n\(log.suffix(2000))") }
                port = try Self.freePort()
            }
        }
    }

    /// `pg_ctl start -w` (it waits until the server accepts connections).
    func startServer() throws {
        try run(
            "pg_ctl",
            ["-D", data, "-l", directory.file("server.log"), "-w", "-t", "60", "-o",
             "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100", "start"])
    }

    /// Stops the server (fast shutdown: connections are cut), keeping its data.
    func stopServer() throws {
        try run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"])
    }

    /// A new database; its URL for `store.url`.
    func createDatabase(_ name: String) throws -> String {
        try run("psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"])
        return "postgres://postgres@127.0.0.1:\(port)/\(name)?sslmode=disable"
    }

    /// One value from a query, as text.
    func scalar(_ database: String, _ sql: String) throws -> String {
        try run("psql", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func destroy() {
        _ = try? run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"])
        directory.remove()
    }

    static var postgresUID: uid_t { getpwnam("postgres")?.pointee.pw_uid ?? 0 }
    static var postgresGID: gid_t { getpwnam("postgres")?.pointee.pw_gid ?? 0 }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw ToolFailed(description: "no free port") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
