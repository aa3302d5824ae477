import CancelgateCore
import Foundation
import Testing

/// Files and environments shared by the Config*Tests suites.
enum ConfigFixtures {
    /// …/Tests/CancelgateCoreTests/ConfigLoaderTests.swift → the package root.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func url(_ name: String) -> URL { packageRoot.appendingPathComponent(name) }

    static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }

    static func json(_ name: String) throws -> JSONValue { try JSONValue.parse(data(name)) }

    /// Every variable the shipped routes.json uses, with real-looking values.
    static let environment = [
        "KUBIYA_API_TOKEN": "kubiya-token-4f1e9a",
        "SKYVERN_API_KEY": "skyvern-key-77c2d0",
        "MEIBEL_API_KEY": "meibel-key-0b93aa",
        "C1_CLIENT_ID": "c1-client-id-123",
        "C1_CLIENT_SECRET": "c1-client-secret-e5d1",
        "CANCELGATE_DEPLOY_TOKEN": "deploy-token-9a8b7c",
    ]

    /// Loads `text`, expecting failure; the issues found.
    static func issues(_ text: String, environment: [String: String] = [:]) -> [ConfigError.Issue] {
        do {
            _ = try ConfigLoader.load(data: Data(text.utf8), environment: environment)
            Issue.record("expected a ConfigError")
            return []
        } catch {
            return error.issues
        }
    }
}

@Suite("ConfigLoader: valid files")
struct ConfigLoaderTests {
    @Test func shippedRoutesJSONLoadsWithItsEnvironment() throws {
        let config = try ConfigLoader.load(path: ConfigFixtures.url("routes.json").path, environment: ConfigFixtures.environment)

        #expect(config.server == ServerConfig(host: "0.0.0.0", port: 8080, maxItems: 1000, maxBodyBytes: 1_048_576, requestTimeoutMs: 30_000))
        #expect(config.upstreams.map(\.name) == ["c1", "kubiya", "meibel", "skyvern"])

        let kubiya = try #require(config.upstream(named: "kubiya"))
        #expect(kubiya.provider == .kubiya)
        #expect(kubiya.baseURL == "https://control-plane.kubiya.ai")
        #expect(kubiya.mode == .batch)
        #expect(kubiya.batchSize == 100)
        #expect(kubiya.concurrency == 4)
        #expect(kubiya.timeoutMs == 10_000)
        #expect(kubiya.retry == RetryConfig(maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000))
        guard case .bearer(let token) = kubiya.auth else { Issue.record("kubiya auth: \(kubiya.auth.typeName)"); return }
        #expect(token.revealed == "kubiya-token-4f1e9a")

        let skyvern = try #require(config.upstream(named: "skyvern"))
        #expect(skyvern.provider == .skyvern)
        #expect(skyvern.concurrency == UpstreamConfig.defaultConcurrency)
        #expect(skyvern.timeoutMs == UpstreamConfig.defaultTimeoutMs)
        #expect(skyvern.retry == RetryConfig())
        guard case .header(let name, let value) = skyvern.auth else { Issue.record("skyvern auth: \(skyvern.auth.typeName)"); return }
        #expect(name == "x-api-key")
        #expect(value.revealed == "skyvern-key-77c2d0")

        let meibel = try #require(config.upstream(named: "meibel"))
        #expect(meibel.baseURL == "https://api.meibel.ai/v2")
        #expect(meibel.concurrency == 16)
        guard case .header("Meibel-API-Key", let meibelKey) = meibel.auth else { Issue.record("meibel auth"); return }
        #expect(meibelKey.revealed == "meibel-key-0b93aa")

        let c1 = try #require(config.upstream(named: "c1"))
        guard case .oauth2ClientCredentials(let tokenURL, let clientID, let secret) = c1.auth else { Issue.record("c1 auth"); return }
        #expect(tokenURL == "/auth/v1/token")
        #expect(clientID == "c1-client-id-123")
        #expect(secret.revealed == "c1-client-secret-e5d1")

        #expect(config.routes.map(\.upstream) == ["skyvern", "skyvern", "c1", "kubiya"])
        #expect(config.routes.first { $0.matches("tsk_123") }?.upstream == "skyvern")
        #expect(config.routes.first { $0.matches("wr_9") }?.upstream == "skyvern")
        #expect(config.routes.first { $0.matches("839265") }?.upstream == "c1")
        #expect(config.routes.first { $0.matches("3f0c1d2e-aaaa-bbbb-cccc-0123456789ab") }?.upstream == "kubiya")
        #expect(config.routes.first { $0.matches("nothing-matches") } == nil)

        #expect(config.clients.count == 1)
        #expect(config.clients.first?.name == "deploy-bot")
        #expect(config.clients.first?.token.revealed == "deploy-token-9a8b7c")
        #expect(config.clients.first?.upstreams == ["kubiya", "skyvern"])
    }

    @Test func minimalConfigGetsEveryDefault() throws {
        let text = #"{ "upstreams": { "k": { "provider": "kubiya", "base_url": "http://127.0.0.1:9000/" } } }"#
        let config = try ConfigLoader.load(data: Data(text.utf8), environment: [:])
        #expect(config.server == ServerConfig())
        #expect(config.server.host == ServerConfig.defaultHost)
        #expect(config.server.defaultReason == ServerConfig.defaultReason)
        #expect(config.server.idempotencyMaxEntries == ServerConfig.defaultIdempotencyMaxEntries)
        #expect(config.server.idempotencyMaxBytes == 67_108_864)
        #expect(config.routes.isEmpty)
        #expect(config.clients.isEmpty)
        let upstream = try #require(config.upstreams.first)
        #expect(config.upstreams.count == 1)
        #expect(upstream.name == "k")
        #expect(upstream.baseURL == "http://127.0.0.1:9000")
        #expect(upstream.auth.typeName == "none")
        #expect(upstream.mode == .batch)
        #expect(upstream.batchSize == UpstreamConfig.defaultBatchSize)
        #expect(upstream.concurrency == UpstreamConfig.defaultConcurrency)
        #expect(upstream.timeoutMs == UpstreamConfig.defaultTimeoutMs)
        #expect(upstream.retry == RetryConfig(maxAttempts: RetryConfig.defaultMaxAttempts, baseDelayMs: RetryConfig.defaultBaseDelayMs))
        #expect(upstream.retry.maxDelayMs == RetryConfig.defaultMaxDelayMs)
    }

    @Test func partialObjectsKeepTheirOtherDefaults() throws {
        let text = #"""
            { "server": { "port": 0, "idempotency_max_entries": 50, "idempotency_max_bytes": 4096 },
              "upstreams": {
                "k": { "provider": "kubiya", "base_url": "https://k.example", "mode": "single", "retry": { "max_attempts": 1 } },
                "s": { "provider": "skyvern", "base_url": "https://s.example", "mode": "batch", "auth": { "type": "none" } } },
              "routes": [],
              "clients": [ { "name": "ops", "token": "t" } ] }
            """#
        let config = try ConfigLoader.load(data: Data(text.utf8), environment: [:])
        #expect(config.server == ServerConfig(port: 0, idempotencyMaxEntries: 50, idempotencyMaxBytes: 4096))
        #expect(config.upstream(named: "k")?.mode == .single)
        #expect(config.upstream(named: "k")?.retry == RetryConfig(maxAttempts: 1))
        #expect(config.upstream(named: "s")?.mode == .batch)
        // A client without `upstreams` may use them all.
        #expect(config.clients.first?.upstreams == ["k", "s"])
    }

    @Test func variablesAreExpandedInEveryString() throws {
        let text = #"""
            { "server": { "host": "${HOST}", "default_reason": "cancelled by ${TEAM} team" },
              "upstreams": { "k": { "provider": "${PROVIDER}", "base_url": "https://${DOMAIN}/api",
                                    "auth": { "type": "header", "name": "${HEADER}", "value": "${A}:${B}" } } },
              "routes": [ { "match": { "prefix": "${PREFIX}" }, "upstream": "k" } ] }
            """#
        let environment = [
            "HOST": "127.0.0.1", "TEAM": "ops", "PROVIDER": "kubiya", "DOMAIN": "k.example",
            "HEADER": "x-key", "A": "left", "B": "right", "PREFIX": "job_",
        ]
        let config = try ConfigLoader.load(data: Data(text.utf8), environment: environment)
        #expect(config.server.host == "127.0.0.1")
        #expect(config.server.defaultReason == "cancelled by ops team")
        let upstream = try #require(config.upstream(named: "k"))
        #expect(upstream.provider == .kubiya)
        #expect(upstream.baseURL == "https://k.example/api")
        guard case .header("x-key", let value) = upstream.auth else { Issue.record("auth"); return }
        #expect(value.revealed == "left:right")
        #expect(config.routes.first?.matches("job_1") == true)
    }

    /// 250 thumbs-up with a skin tone are 500 Unicode scalars: the most a provider accepts.
    @Test func defaultReasonOfExactly500UnicodeScalarsIsAccepted() throws {
        let reason = String(repeating: "👍🏽", count: 250)
        #expect(reason.count == 250 && reason.unicodeScalars.count == 500)
        let text =
            #"{ "server": { "default_reason": ""# + reason + #"" }, "upstreams": { "k": { "provider": "kubiya", "base_url": "https://k.example" } } }"#
        let config = try ConfigLoader.load(data: Data(text.utf8), environment: [:])
        #expect(config.server.defaultReason == reason)
    }

    @Test func absoluteTokenURLIsAccepted() throws {
        let text = #"""
            { "upstreams": { "c1": { "provider": "c1", "base_url": "https://tenant.example",
              "auth": { "type": "oauth2_client_credentials", "token_url": "https://login.example/token",
                        "client_id": "id", "client_secret": "secret" } } } }
            """#
        let config = try ConfigLoader.load(data: Data(text.utf8), environment: [:])
        guard case .oauth2ClientCredentials(let tokenURL, _, _) = config.upstreams.first?.auth else { Issue.record("auth"); return }
        #expect(tokenURL == "https://login.example/token")
    }

    @Test func schemaKeyIsAcceptedForEditors() throws {
        let text = #"{ "$schema": "./routes.schema.json", "upstreams": { "k": { "provider": "meibel", "base_url": "https://m.example" } } }"#
        let config = try ConfigLoader.load(data: Data(text.utf8), environment: [:])
        #expect(config.upstreams.first?.provider == .meibel)
    }

    @Test func unreadableFileIsOneIssueAtTheRoot() {
        do {
            _ = try ConfigLoader.load(path: "/nonexistent/routes.json", environment: [:])
            Issue.record("expected a ConfigError")
        } catch {
            #expect(error.issues.count == 1)
            #expect(error.issues.first?.path == "")
            #expect(error.issues.first?.message.hasPrefix("cannot read /nonexistent/routes.json") == true)
        }
    }

    @Test(arguments: ["", "{", "{\"upstreams\": }", "not json", "{'upstreams': {}}", "{} {}"])
    func notJSONIsOneIssueAtTheRoot(text: String) {
        let issues = ConfigFixtures.issues(text)
        #expect(issues.count == 1)
        #expect(issues.first?.path == "")
        #expect(issues.first?.message.hasPrefix("not valid JSON") == true)
        #expect(ConfigError(issues: issues).description.hasPrefix("(root): not valid JSON"), "\(ConfigError(issues: issues))")
    }

    @Test func notJSONSaysWhere() {
        let issues = ConfigFixtures.issues("{\n  \"upstreams\": {\n    \"k\": tru\n  }\n}")
        #expect(issues.count == 1)
        #expect(issues.first?.message.hasPrefix("not valid JSON: ") == true)
        #expect(issues.first?.message.hasSuffix("(line 3, column 13)") == true, "\(issues)")
    }
}
