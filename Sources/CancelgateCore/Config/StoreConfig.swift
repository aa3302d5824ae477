public import Foundation

/// `store` in routes.json (CONTRACT §5): where records and idempotency keys live.
public struct StoreConfig: Sendable, Equatable {
    public static let defaultSQLitePath = "cancelgate.db"
    public static let defaultRetentionDays = 30
    public static let defaultPoolSize = 8
    public static let defaultSweepIntervalMs = 10_000
    public static let defaultLeaseGraceMs = 30_000

    public enum Backend: Sendable, Equatable {
        /// The embedded default: one file, one process.
        case sqlite(path: String)
        /// Shared by replicas.
        case postgres(PostgresTarget, poolSize: Int)
        /// Nothing survives the process.
        case memory

        public var typeName: String {
            switch self {
            case .sqlite: "sqlite"
            case .postgres: "postgres"
            case .memory: "memory"
            }
        }
    }

    public var backend: Backend
    public var retentionDays: Int
    /// How often a replica looks for records and keys whose process died (lease expired), and
    /// retries writes the store refused.
    public var sweepIntervalMs: Int
    /// Added to `server.request_timeout_ms` to make a running request's lease (CONTRACT §5: 30 s).
    public var leaseGraceMs: Int

    public init(
        backend: Backend = .sqlite(path: defaultSQLitePath), retentionDays: Int = defaultRetentionDays,
        sweepIntervalMs: Int = defaultSweepIntervalMs, leaseGraceMs: Int = defaultLeaseGraceMs
    ) {
        self.backend = backend
        self.retentionDays = retentionDays
        self.sweepIntervalMs = sweepIntervalMs
        self.leaseGraceMs = leaseGraceMs
    }

    public var retention: TimeInterval { TimeInterval(retentionDays) * 24 * 60 * 60 }
}

/// A PostgreSQL URL, taken apart when routes.json is loaded. Its description never shows the
/// password.
public struct PostgresTarget: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: Secret?
    public var database: String?
    public var tls: TLSMode

    public init(host: String, port: Int = 5432, username: String, password: Secret?, database: String?, tls: TLSMode = .prefer) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// `postgres://user@host:port/db`, for messages: never the password.
    public var description: String {
        "postgres://\(username)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database ?? username)"
    }

    /// Parses `postgres[ql]://user[:password]@host[:port][/database][?sslmode=…]`. The error is a
    /// sentence that never quotes the URL (it may hold a password).
    public static func parse(_ url: String) -> Result<PostgresTarget, ParseError> {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            return .failure(ParseError("is not a URL; write postgres://USER:PASSWORD@HOST:PORT/DATABASE"))
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            return .failure(ParseError("must start with postgres:// or postgresql://"))
        }
        guard let host = components.host, !host.isEmpty else { return .failure(ParseError("names no host")) }
        guard let user = components.user, !user.isEmpty else { return .failure(ParseError("names no user (postgres://USER@HOST/…)")) }
        if let port = components.port, !(1...65_535).contains(port) { return .failure(ParseError("has a port outside 1…65535")) }
        var tls = TLSMode.prefer
        for item in components.queryItems ?? [] {
            switch (item.name, item.value ?? "") {
            case ("sslmode", let value):
                switch value {
                case "disable": tls = .disable
                case "allow", "prefer": tls = .prefer
                case "require", "verify-ca", "verify-full": tls = .require
                default: return .failure(ParseError("has sslmode \"\(value)\"; use disable, prefer or require"))
                }
            default:
                return .failure(ParseError("has the unknown parameter \"\(item.name)\"; only sslmode is read"))
            }
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        return .success(
            PostgresTarget(
                host: host, port: components.port ?? 5432, username: user, password: components.password.map(Secret.init),
                database: path.isEmpty ? nil : path, tls: tls))
    }

    public struct ParseError: Error, Sendable, Equatable {
        public let message: String
        init(_ message: String) { self.message = message }
    }
}
