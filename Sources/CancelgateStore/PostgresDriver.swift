internal import CancelgateCore
internal import Logging
internal import NIOCore
internal import PostgresNIO

/// PostgreSQL through `vapor/postgres-nio`'s `PostgresClient`, a connection pool that runs as a
/// Service in the gateway's ServiceGroup (it must be running before any statement here).
struct PostgresDriver: SQLDriver {
    /// `pg_advisory_xact_lock`'s key for migrations: "cgate" in ASCII.
    static let migrationLockKey: Int64 = 0x63_67_61_74_65

    let kind = "postgres"
    let client: PostgresClient
    let logger: Logger

    init(target: PostgresTarget, poolSize: Int, logger: Logger) {
        var configuration = PostgresClient.Configuration(
            host: target.host, port: target.port, username: target.username, password: target.password?.revealed,
            database: target.database, tls: Self.tls(target.tls))
        configuration.options.maximumConnections = poolSize
        configuration.options.connectTimeout = .seconds(5)
        var quiet = logger
        quiet.logLevel = .warning
        self.client = PostgresClient(configuration: configuration, backgroundLogger: quiet)
        self.logger = quiet
    }

    private static func tls(_ mode: PostgresTarget.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .prefer: .prefer(.makeClientConfiguration())
        case .require: .require(.makeClientConfiguration())
        }
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]] {
        try await Self.rows(try await client.query(Self.query(sql, binds), logger: logger))
    }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLExecutor) async throws -> T) async throws -> T {
        try await client.withTransaction(logger: logger) { connection in
            try await body(Connection(connection: connection, logger: logger))
        }
    }

    func migrationTransaction(_ body: @Sendable (any SQLExecutor) async throws -> Void) async throws {
        try await transaction { executor in
            // Held to the end of this transaction: replicas starting together migrate in turn,
            // and the later ones find every version applied.
            _ = try await executor.query("SELECT pg_advisory_xact_lock($1)::text", [.int(Self.migrationLockKey)])
            try await body(executor)
        }
    }

    func close() async {}

    private struct Connection: SQLExecutor, @unchecked Sendable {
        let connection: PostgresConnection
        let logger: Logger
        func query(_ sql: String, _ binds: [SQLValue]) async throws -> [[SQLValue]] {
            try await PostgresDriver.rows(try await connection.query(PostgresDriver.query(sql, binds), logger: logger))
        }
    }

    static func query(_ sql: String, _ binds: [SQLValue]) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case .int(let int): bindings.append(int)
            case .text(let text): bindings.append(text)
            case .null: bindings.appendNull()
            }
        }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }

    static func rows(_ sequence: PostgresRowSequence) async throws -> [[SQLValue]] {
        var rows: [[SQLValue]] = []
        for try await row in sequence {
            var values: [SQLValue] = []
            for cell in row {
                guard cell.bytes != nil else {
                    values.append(.null)
                    continue
                }
                switch cell.dataType {
                case .int2, .int4, .int8: values.append(.int(try cell.decode(Int64.self)))
                default: values.append(.text(try cell.decode(String.self)))
                }
            }
            rows.append(values)
        }
        return rows
    }
}
