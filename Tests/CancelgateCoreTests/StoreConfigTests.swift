import CancelgateCore
import Foundation
import Testing

/// `store` in routes.json (CONTRACT §5): checked when loaded, without connecting.
@Suite("ConfigLoader: store")
struct StoreConfigTests {
    static let upstreams = #""upstreams": { "k": { "provider": "kubiya", "base_url": "https://k.example" } }"#

    static func load(_ store: String?, environment: [String: String] = [:]) throws(ConfigError) -> RoutesConfig {
        let json = "{ \(upstreams)" + (store.map { #", "store": \#($0)"# } ?? "") + " }"
        return try ConfigLoader.load(data: Data(json.utf8), environment: environment)
    }

    static func issues(_ store: String, environment: [String: String] = [:]) -> [ConfigError.Issue] {
        do {
            _ = try load(store, environment: environment)
            return []
        } catch {
            return error.issues
        }
    }

    @Test func absentIsSQLiteInTheWorkingDirectory() throws {
        let store = try Self.load(nil).store
        #expect(store.backend == .sqlite(path: "cancelgate.db"))
        #expect(store.retentionDays == 30)
        #expect(store.leaseGraceMs == 30_000)
    }

    @Test func eachTypeLoads() throws {
        #expect(try Self.load(#"{"type": "memory"}"#).store.backend == .memory)
        #expect(try Self.load(#"{"path": "/var/lib/cancelgate/x.db", "retention_days": 7}"#).store == StoreConfig(backend: .sqlite(path: "/var/lib/cancelgate/x.db"), retentionDays: 7))
        let postgres = try Self.load(
            #"{"type": "postgres", "url": "${DB}", "pool_size": 3}"#, environment: ["DB": "postgresql://cg:p%40ss@db.internal:6432/cancels?sslmode=require"]
        ).store
        guard case .postgres(let target, let poolSize) = postgres.backend else {
            Issue.record("not postgres: \(postgres.backend)")
            return
        }
        #expect(poolSize == 3)
        #expect(target.host == "db.internal" && target.port == 6432 && target.username == "cg" && target.database == "cancels" && target.tls == .require)
        #expect(target.password?.revealed == "p@ss", "percent-decoded")
        #expect("\(target)" == "postgres://cg@db.internal:6432/cancels", "its description never shows the password")
    }

    @Test(arguments: [
        (#"{"type": "redis"}"#, "/store/type", "unknown store type \"redis\""),
        (#"{"type": "postgres"}"#, "/store/url", "is required"),
        (#"{"type": "postgres", "url": "mysql://u:pw@h/db"}"#, "/store/url", "must start with postgres://"),
        (#"{"type": "postgres", "url": "postgres://h/db"}"#, "/store/url", "names no user"),
        (#"{"type": "postgres", "url": "postgres://u:pw@h/db?sslmode=sometimes"}"#, "/store/url", "sslmode"),
        (#"{"type": "postgres", "url": "postgres://u:pw@h/db", "path": "x.db"}"#, "/store/path", "unknown key \"path\""),
        (#"{"type": "memory", "retention_days": 0}"#, "/store/retention_days", "between 1 and 36500"),
        (#"{"url": "postgres://u:pw@h/db"}"#, "/store/url", "allowed for store type sqlite"),
        (#"{"type": "sqlite", "pool_size": 4}"#, "/store/pool_size", "unknown key"),
        (#"{"type": "postgres", "url": "postgres://u:pw@h/db", "pool_size": 0}"#, "/store/pool_size", "between 1 and 256"),
        (#"{"sweep_interval_ms": 5}"#, "/store/sweep_interval_ms", "between 100"),
        (#""sqlite""#, "/store", "must be an object"),
    ])
    func mistakesNameTheirPath(store: String, path: String, message: String) {
        let issues = Self.issues(store)
        #expect(issues.contains { $0.path == path && $0.message.contains(message) }, "\(issues)")
    }

    /// A URL is a secret: no message quotes it, whatever is wrong with it.
    @Test func noMessageShowsTheDatabasePassword() {
        for url in ["postgres://u:hunter2@/db", "mysql://u:hunter2@h/db", "postgres://u:hunter2@h/db?bogus=1", "postgres://u:hunter2@h:99999/db"] {
            let issues = Self.issues(#"{"type": "postgres", "url": "${DB}"}"#, environment: ["DB": url])
            #expect(!issues.isEmpty, "\(url) should be refused")
            #expect(!issues.map(\.description).joined().contains("hunter2"), "\(issues)")
        }
    }
}
