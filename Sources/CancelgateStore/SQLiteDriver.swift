internal import CancelgateCore
internal import Foundation
internal import Logging
internal import NIOCore
internal import NIOPosix
internal import SQLiteNIO
internal import Synchronization

/// One SQLite file through `vapor/sqlite-nio`: one connection, statements serialized (SQLite
/// writes one at a time anyway), WAL journal so a reader never blocks the writer. The file
/// belongs to one process: an exclusive `flock` on `<path>.lock` refuses a second `serve` on
/// the same file, which would otherwise see the first one's running records as dead.
final class SQLiteDriver: SQLDriver, @unchecked Sendable {
    let kind = "sqlite"
    private let connection: SQLiteConnection
    private let gate = AsyncSemaphore(permits: 1)
    private let lockDescriptor: Int32
    let path: String

    private init(connection: SQLiteConnection, lockDescriptor: Int32, path: String) {
        self.connection = connection
        self.lockDescriptor = lockDescriptor
        self.path = path
    }

    static func open(path: String, logger: Logger) async throws -> SQLiteDriver {
        let lockPath = path + ".lock"
        let descriptor = Foundation.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreQueryError(description: "cannot create \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno == EWOULDBLOCK ? "another cancelgate process uses this file (one SQLite file serves one process; replicas need PostgreSQL)" : String(cString: strerror(errno))
            Foundation.close(descriptor)
            throw StoreQueryError(description: reason)
        }
        do {
            var quiet = logger
            quiet.logLevel = .warning
            let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: quiet)
            let driver = SQLiteDriver(connection: connection, lockDescriptor: descriptor, path: path)
            _ = try await driver.query("PRAGMA journal_mode = WAL", [])
            _ = try await driver.query("PRAGMA synchronous = NORMAL", [])
            _ = try await driver.query("PRAGMA busy_timeout = 5000", [])
            return driver
        } catch {
            Foundation.close(descriptor)
            throw error
        }
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]] {
        guard await gate.acquire() else { throw CancellationError() }
        defer { gate.release() }
        return try await run(sql, binds)
    }

    private func run(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]] {
        // `$n` is a named parameter to SQLite, and each one is looked up among the statement's
        // names: quadratic in a 6,000-parameter insert (12× slower, measured). `?n` is numbered.
        // Our SQL has no `$` anywhere else.
        // Rows are collected under a lock of our own: sqlite-nio's row-returning `query` appends
        // to a `nonisolated(unsafe)` array on its thread pool and reads it on the caller's
        // thread, which the thread sanitizer reports as a race.
        let rows = Rows()
        try await connection.query(Self.numbered(sql), binds.map(Self.data)) { row in
            let values = row.columns.map { Self.value($0.data) }
            rows.all.withLock { $0.append(values) }
        }
        return rows.all.withLock { $0 }
    }

    /// `$n` → `?n`, byte by byte (Foundation's `replacingOccurrences` was a twentieth of a
    /// single-ID cancel's CPU on SQLite, on multi-row statements of thousands of characters).
    static func numbered(_ sql: String) -> String {
        var bytes = Array(sql.utf8)
        for index in bytes.indices where bytes[index] == UInt8(ascii: "$") { bytes[index] = UInt8(ascii: "?") }
        return String(decoding: bytes, as: UTF8.self)
    }

    private final class Rows: Sendable {
        let all = Mutex<[[SQLValue]]>([])
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        guard await gate.acquire() else { throw CancellationError() }
        defer { gate.release() }
        let inner = Inner(driver: self)
        _ = try await run("BEGIN IMMEDIATE", [])
        do {
            let result = try await body(inner)
            _ = try await run("COMMIT", [])
            return result
        } catch {
            _ = try? await run("ROLLBACK", [])
            throw error
        }
    }

    func migrationTransaction(_ body: @Sendable (any SQLExecutor) async throws -> Void) async throws {
        try await transaction(body)
    }

    func close() async {
        try? await connection.close()
        Foundation.close(lockDescriptor)
    }

    /// Statements inside a transaction: the permit is already held.
    private struct Inner: SQLExecutor {
        let driver: SQLiteDriver
        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]] {
            try await driver.run(sql, binds)
        }
    }

    private static func data(_ value: SQLValue) -> SQLiteData {
        switch value {
        case .int(let int): .integer(SQLiteInt64(int))
        case .text(let text): .text(text)
        case .null: .null
        }
    }

    private static func value(_ data: SQLiteData) -> SQLValue {
        switch data {
        case .integer(let int): .int(Int64(int))
        case .text(let text): .text(text)
        case .float(let double): .int(Int64(double))
        case .blob(let buffer): .text(String(buffer: buffer))
        case .null: .null
        }
    }
}
