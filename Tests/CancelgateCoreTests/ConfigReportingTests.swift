import CancelgateCore
import Foundation
import Testing

@Suite("ConfigLoader: reporting")
struct ConfigReportingTests {
    @Test func everyProblemIsReportedAtOnce() {
        let text = #"""
            { "server": { "port": -1, "colour": "blue" },
              "upstreams": {
                "k": { "provider": "kubiya", "base_url": "ftp://k.example", "batch_size": 101,
                       "auth": { "type": "bearer" } },
                "s": { "provider": "skyvern", "base_url": "https://s.example", "mode": "single", "concurrency": "4" },
                "x": { "provider": "nope", "base_url": "https://x.example" } },
              "routes": [ { "match": { "regex": "(" }, "upstream": "k" },
                          { "match": { "prefix": "a" }, "upstream": "missing" } ],
              "clients": [ { "name": "c", "token": "${UNSET_TOKEN}", "upstreams": ["zz"] } ] }
            """#
        let issues = ConfigFixtures.issues(text)
        let paths = issues.map(\.path)
        #expect(
            paths == [
                "/server/colour", "/server/port",
                "/upstreams/k/base_url", "/upstreams/k/auth/token", "/upstreams/k/batch_size",
                "/upstreams/s/mode", "/upstreams/s/concurrency",
                "/upstreams/x/provider",
                "/routes/0/match/regex", "/routes/1/upstream",
                "/clients/0/token", "/clients/0/upstreams/0",
            ],
            "\(ConfigError(issues: issues))"
        )
        let description = ConfigError(issues: issues).description
        #expect(description.split(separator: "\n").count == issues.count)
        #expect(description.contains("/upstreams/k/batch_size: must be an integer between 1 and 100"))
        #expect(description.contains("/clients/0/token: environment variable UNSET_TOKEN is not set"))
    }

    @Test func shippedFileWithoutItsEnvironmentNamesEachVariableWhereUsed() throws {
        let data = try ConfigFixtures.data("routes.json")
        do {
            _ = try ConfigLoader.load(data: data, environment: [:])
            Issue.record("expected a ConfigError")
        } catch {
            let expected = [
                ConfigError.Issue(path: "/upstreams/c1/auth/client_id", message: "environment variable C1_CLIENT_ID is not set"),
                .init(path: "/upstreams/c1/auth/client_secret", message: "environment variable C1_CLIENT_SECRET is not set"),
                .init(path: "/upstreams/kubiya/auth/token", message: "environment variable KUBIYA_API_TOKEN is not set"),
                .init(path: "/upstreams/meibel/auth/value", message: "environment variable MEIBEL_API_KEY is not set"),
                .init(path: "/upstreams/skyvern/auth/value", message: "environment variable SKYVERN_API_KEY is not set"),
                .init(path: "/clients/0/token", message: "environment variable CANCELGATE_DEPLOY_TOKEN is not set"),
            ]
            #expect(error.issues == expected)
        }
    }

    @Test(arguments: ConfigFixtures.environment.keys.sorted())
    func oneMissingVariableIsOneIssue(variable: String) throws {
        var environment = ConfigFixtures.environment
        environment[variable] = nil
        let data = try ConfigFixtures.data("routes.json")
        do {
            _ = try ConfigLoader.load(data: data, environment: environment)
            Issue.record("expected a ConfigError")
        } catch {
            #expect(error.issues.count == 1)
            #expect(error.issues.first?.message == "environment variable \(variable) is not set")
        }
    }

    /// Secrets from the environment and written in the file, around every check that touches them.
    @Test func secretValuesNeverAppearInMessages() {
        let environment = [
            "KUBIYA_API_TOKEN": "sk-live-kubiya-AAAA1111",
            "SKYVERN_API_KEY": "sk-live-skyvern-BBBB2222\r\nX-Injected: 1",
            "C1_CLIENT_SECRET": "sk-live-c1-CCCC3333",
            "DEPLOY_TOKEN": "sk-live-deploy-DDDD4444",
            "EMPTY": "",
        ]
        let text = #"""
            { "upstreams": {
                "kubiya": { "provider": "kubiya", "base_url": "https://k.example", "batch_size": 500,
                            "auth": { "type": "bearer", "token": "${KUBIYA_API_TOKEN}", "extra": "${KUBIYA_API_TOKEN}" } },
                "skyvern": { "provider": "skyvern", "base_url": "https://s.example",
                             "auth": { "type": "header", "name": "x-api-key", "value": "${SKYVERN_API_KEY}" } },
                "c1": { "provider": "c1", "base_url": "https://c.example",
                        "auth": { "type": "oauth2_client_credentials", "token_url": "relative",
                                  "client_id": "${EMPTY}", "client_secret": "${C1_CLIENT_SECRET}" } },
                "m": { "provider": "meibel", "base_url": "https://m.example",
                       "auth": { "type": "header", "name": "bad name", "value": "literal-secret-EEEE5555\n" } } },
              "clients": [
                { "name": "a", "token": "${DEPLOY_TOKEN}" },
                { "name": "b", "token": "${DEPLOY_TOKEN}" },
                { "name": "c", "token": "literal-client-FFFF6666", "upstreams": 1 },
                { "name": "d", "token": "literal-client-FFFF6666${NOT_SET}" },
                { "name": "e", "token": "literal-client-GGGG7777${BROKEN" } ] }
            """#
        let issues = ConfigFixtures.issues(text, environment: environment)
        #expect(issues.count >= 9, "\(ConfigError(issues: issues))")
        let description = ConfigError(issues: issues).description
        for fragment in ["AAAA1111", "BBBB2222", "CCCC3333", "DDDD4444", "EEEE5555", "FFFF6666", "GGGG7777", "sk-live"] {
            #expect(!description.contains(fragment), "\(fragment) leaked into:\n\(description)")
        }
        #expect(description.contains("/upstreams/skyvern/auth/value: must not contain line breaks"))
        #expect(description.contains("/clients/1/token: same token as /clients/0/token"))
        #expect(description.contains("/upstreams/c1/auth/client_id: must not be empty"))
    }
}
