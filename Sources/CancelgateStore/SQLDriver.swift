/// The few value types our tables use: integers (times in ms, counts, flags) and text (IDs,
/// JSON). Both drivers map to and from these.
enum SQLValue: Sendable, Equatable {
    case int(Int64)
    case text(String)
    case null

    init(_ value: String?) { self = value.map(SQLValue.text) ?? .null }
    init(_ value: Int64?) { self = value.map(SQLValue.int) ?? .null }
    init(_ value: Bool) { self = .int(value ? 1 : 0) }

    var int: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }

    var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }
}

/// Runs one statement and returns its rows, each as its columns in `SELECT` order. SQL is
/// written once for both databases: `$1`, `$2`… placeholders (the SQLite driver makes them
/// `?1`, `?2`…), `BIGINT` and `TEXT` columns, `ON CONFLICT`, `RETURNING`.
protocol SQLExecutor: Sendable {
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]]
}

/// A database: statements on their own, or several in one transaction.
protocol SQLDriver: SQLExecutor {
    /// `sqlite` or `postgres`.
    var kind: String { get }
    /// Rolled back when `body` throws.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T
    /// Runs `body` in a transaction that holds the migration lock (PostgreSQL: an advisory lock;
    /// SQLite: the write lock), so replicas that start at once migrate one after the other.
    func migrationTransaction(_ body: @Sendable (any SQLExecutor) async throws -> Void) async throws
    func close() async
}

struct StoreQueryError: Error, CustomStringConvertible {
    let description: String
}
