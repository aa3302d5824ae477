import CancelgateCore
import Foundation
import Testing

/// One invalid document and the issue it must produce.
struct InvalidConfigCase: Sendable, CustomTestStringConvertible {
    let name: String
    let json: String
    let path: String
    let message: String

    var testDescription: String { name }

    /// A document with one upstream `k` (`provider`, `baseURL`, then `upstream`'s members), plus
    /// `rest` at top level.
    static func upstream(
        _ name: String, _ upstream: String, provider: String = "kubiya", baseURL: String = "https://k.example", rest: String = "",
        path: String, message: String
    ) -> Self {
        let members = [#""provider": "\#(provider)""#, #""base_url": "\#(baseURL)""#, upstream].filter { !$0.isEmpty }
        let json = #"{ "upstreams": { "k": { "# + members.joined(separator: ", ") + " } }" + (rest.isEmpty ? "" : ", " + rest) + " }"
        return .init(name: name, json: json, path: path, message: message)
    }

    static func baseURL(_ name: String, _ url: String, message: String) -> Self {
        upstream(name, "", baseURL: url, path: "/upstreams/k/base_url", message: message)
    }

    static func doc(_ name: String, _ json: String, path: String, message: String) -> Self {
        .init(name: name, json: json, path: path, message: message)
    }

    static func top(_ name: String, _ rest: String, path: String, message: String) -> Self {
        upstream(name, "", rest: rest, path: path, message: message)
    }
}

@Suite("ConfigLoader: invalid files")
struct ConfigErrorTests {
    static let environment = ["TOKEN": "tok"]

    static let cases: [InvalidConfigCase] = [
        // Unknown keys, named with the allowed ones.
        .top(
            "unknown top-level key", #""extra": 1"#, path: "/extra",
            message: #"unknown key "extra"; allowed: $schema, server, upstreams, routes, clients"#),
        .top("unknown server key", #""server": { "hots": "x" }"#, path: "/server/hots", message: #"unknown key "hots"; allowed: host, port,"#),
        .upstream(
            "unknown upstream key", #""batchsize": 10"#, path: "/upstreams/k/batchsize",
            message: "allowed: provider, base_url, auth, mode, batch_size"),
        .upstream(
            "unknown auth key", #""auth": { "type": "bearer", "token": "t", "tokn": "t" }"#,
            path: "/upstreams/k/auth/tokn", message: #"unknown key "tokn"; allowed for auth type bearer: type, token"#),
        .upstream(
            "unknown retry key", #""retry": { "attempts": 2 }"#, path: "/upstreams/k/retry/attempts",
            message: "allowed: max_attempts, base_delay_ms, max_delay_ms"),
        .top(
            "unknown route key", #""routes": [ { "match": { "prefix": "a" }, "upstream": "k", "upstrem": "k" } ]"#,
            path: "/routes/0/upstrem", message: "allowed: match, upstream"),
        .top(
            "unknown match key", #""routes": [ { "match": { "prefix": "a", "suffix": "b" }, "upstream": "k" } ]"#,
            path: "/routes/0/match/suffix", message: "allowed: prefix, regex"),
        .top(
            "unknown client key", #""clients": [ { "name": "a", "token": "t", "role": "admin" } ]"#,
            path: "/clients/0/role", message: "allowed: name, token, upstreams"),
        .upstream(
            "unknown rate_limit key", #""rate_limit": { "per_second": 5, "per_minute": 2 }"#, path: "/upstreams/k/rate_limit/per_minute",
            message: "allowed: per_second, burst"),
        .upstream(
            "rate_limit without per_second", #""rate_limit": { "burst": 5 }"#, path: "/upstreams/k/rate_limit/per_second",
            message: "is required"),
        .upstream(
            "rate_limit per_second of 0", #""rate_limit": { "per_second": 0 }"#, path: "/upstreams/k/rate_limit/per_second",
            message: "must be an integer between 1 and 100000"),
        // Wrong types.
        .top(
            "port as string", #""server": { "port": "8080" }"#, path: "/server/port",
            message: "must be an integer between 0 and 65535, not a string"),
        .top("server as array", #""server": []"#, path: "/server", message: "must be an object, not an array"),
        .upstream(
            "fractional timeout_ms", #""timeout_ms": 1.5"#, path: "/upstreams/k/timeout_ms", message: "must be an integer between 1 and 600000"),
        .doc(
            "base_url as number", #"{ "upstreams": { "k": { "provider": "kubiya", "base_url": 8080 } } }"#,
            path: "/upstreams/k/base_url", message: "must be a string, not a number"),
        .doc(
            "client upstreams as string",
            #"{ "upstreams": { "k": { "provider": "kubiya", "base_url": "https://k.example" } }, "#
                + #""clients": [ { "name": "a", "token": "t", "upstreams": "k" } ] }"#,
            path: "/clients/0/upstreams", message: "must be an array, not a string"),
        .top("routes as object", #""routes": {}"#, path: "/routes", message: "must be an array, not an object"),
        .top(
            "default_reason as null", #""server": { "default_reason": null }"#, path: "/server/default_reason",
            message: "must be a string, not null"),
        .doc("upstream as string", #"{ "upstreams": { "k": "kubiya" } }"#, path: "/upstreams/k", message: "must be an object, not a string"),
        .doc("document as array", "[]", path: "", message: "must be an object, not an array"),
        // Providers, URLs, modes, ranges.
        .doc(
            "unknown provider", #"{ "upstreams": { "k": { "provider": "kubya", "base_url": "https://k.example" } } }"#,
            path: "/upstreams/k/provider", message: #"unknown provider "kubya"; must be one of: kubiya, skyvern, meibel, c1"#),
        .doc(
            "missing provider", #"{ "upstreams": { "k": { "base_url": "https://k.example" } } }"#, path: "/upstreams/k/provider",
            message: "is required"),
        .doc("missing upstreams", #"{ "routes": [] }"#, path: "/upstreams", message: "is required"),
        .doc("empty upstreams", #"{ "upstreams": {} }"#, path: "/upstreams", message: "at least one upstream"),
        .doc(
            "bad upstream name", #"{ "upstreams": { "my upstream": { "provider": "kubiya", "base_url": "https://k.example" } } }"#,
            path: "/upstreams/my upstream", message: "upstream name must match ^[A-Za-z0-9_.-]{1,64}$"),
        .upstream(
            "mode single on skyvern", #""mode": "single""#, provider: "skyvern", path: "/upstreams/k/mode",
            message: #""single" is only available for provider kubiya"#),
        .upstream("unknown mode", #""mode": "bulk""#, path: "/upstreams/k/mode", message: "must be one of: batch, single"),
        .upstream("batch_size 101", #""batch_size": 101"#, path: "/upstreams/k/batch_size", message: "must be an integer between 1 and 100"),
        .upstream("batch_size 0", #""batch_size": 0"#, path: "/upstreams/k/batch_size", message: "must be an integer between 1 and 100"),
        .upstream("concurrency 1025", #""concurrency": 1025"#, path: "/upstreams/k/concurrency", message: "must be an integer between 1 and 1024"),
        .upstream("timeout_ms 0", #""timeout_ms": 0"#, path: "/upstreams/k/timeout_ms", message: "must be an integer between 1 and 600000"),
        .upstream("max_attempts 11", #""retry": { "max_attempts": 11 }"#, path: "/upstreams/k/retry/max_attempts", message: "between 1 and 10"),
        .upstream(
            "negative delay", #""retry": { "base_delay_ms": -1 }"#, path: "/upstreams/k/retry/base_delay_ms", message: "an integer of at least 0"),
        .upstream(
            "base delay over max", #""retry": { "base_delay_ms": 5000 }"#, path: "/upstreams/k/retry/base_delay_ms",
            message: "base_delay_ms (5000) must not exceed max_delay_ms (2000)"),
        .top("port 65536", #""server": { "port": 65536 }"#, path: "/server/port", message: "must be an integer between 0 and 65535"),
        .top("max_items 0", #""server": { "max_items": 0 }"#, path: "/server/max_items", message: "must be an integer of at least 1"),
        .top("max_body_bytes 1023", #""server": { "max_body_bytes": 1023 }"#, path: "/server/max_body_bytes", message: "of at least 1024"),
        .top("request_timeout_ms 0", #""server": { "request_timeout_ms": 0 }"#, path: "/server/request_timeout_ms", message: "of at least 1"),
        .top(
            "idempotency_max_entries 0", #""server": { "idempotency_max_entries": 0 }"#, path: "/server/idempotency_max_entries",
            message: "must be an integer of at least 1"),
        .top(
            "empty default_reason", #""server": { "default_reason": "" }"#, path: "/server/default_reason",
            message: "must be 1 to 500 characters long"),
        .top(
            "long default_reason", #""server": { "default_reason": ""# + String(repeating: "x", count: 501) + #"" }"#,
            path: "/server/default_reason", message: "must be 1 to 500 characters long"),
        // 300 thumbs-up with a skin tone: 300 Characters, 600 Unicode scalars, which Kubiya refuses.
        .top(
            "default_reason over 500 Unicode scalars", #""server": { "default_reason": ""# + String(repeating: "👍🏽", count: 300) + #"" }"#,
            path: "/server/default_reason", message: "counted in Unicode code points (got 600)"),
        .top(
            "idempotency_max_bytes 0", #""server": { "idempotency_max_bytes": 0 }"#, path: "/server/idempotency_max_bytes",
            message: "must be an integer of at least 1"),
        .baseURL("ftp base_url", "ftp://k.example", message: "must be an absolute http or https URL, not ftp:"),
        .baseURL("relative base_url", "k.example/api", message: "must be an absolute http or https URL"),
        .baseURL("base_url without host", "https://", message: "with a host"),
        .baseURL("base_url with query", "https://k.example/?a=1", message: "must not have a query"),
        .baseURL("base_url with fragment", "https://k.example/#x", message: "must not have a fragment"),
        .baseURL("base_url with credentials", "https://u:p@k.example", message: "must not carry user or password"),
        // Auth.
        .upstream(
            "auth without type", #""auth": { "token": "t" }"#, path: "/upstreams/k/auth/type",
            message: "is required; one of: bearer, header, oauth2_client_credentials, none"),
        .upstream("unknown auth type", #""auth": { "type": "basic" }"#, path: "/upstreams/k/auth/type", message: #"unknown auth type "basic""#),
        .upstream("bearer without token", #""auth": { "type": "bearer" }"#, path: "/upstreams/k/auth/token", message: "is required"),
        .upstream(
            "header without value", #""auth": { "type": "header", "name": "x-api-key" }"#, path: "/upstreams/k/auth/value", message: "is required"),
        .upstream(
            "header with bad name", #""auth": { "type": "header", "name": "x api key", "value": "v" }"#,
            path: "/upstreams/k/auth/name", message: "must be a valid HTTP header name"),
        .upstream(
            "header value with a line break", #""auth": { "type": "header", "name": "x", "value": "a\r\nHost: evil" }"#,
            path: "/upstreams/k/auth/value", message: "must not contain line breaks"),
        .upstream(
            "oauth2 without client_secret", #""auth": { "type": "oauth2_client_credentials", "token_url": "/t", "client_id": "i" }"#,
            path: "/upstreams/k/auth/client_secret", message: "is required"),
        .upstream(
            "oauth2 with relative token_url",
            #""auth": { "type": "oauth2_client_credentials", "token_url": "auth/token", "client_id": "i", "client_secret": "s" }"#,
            path: "/upstreams/k/auth/token_url", message: #"must be an absolute http or https URL or a path starting with "/""#),
        // Routes and clients.
        .top(
            "bad regex", #""routes": [ { "match": { "regex": "^[0-9" }, "upstream": "k" } ]"#,
            path: "/routes/0/match/regex", message: "not a valid regular expression"),
        .top(
            "route to unknown upstream", #""routes": [ { "match": { "prefix": "a" }, "upstream": "c2" } ]"#,
            path: "/routes/0/upstream", message: #"unknown upstream "c2"; configured upstreams: k"#),
        .top(
            "match with prefix and regex", #""routes": [ { "match": { "prefix": "a", "regex": "b" }, "upstream": "k" } ]"#,
            path: "/routes/0/match", message: "must have exactly one of: prefix, regex"),
        .top("empty match", #""routes": [ { "match": {}, "upstream": "k" } ]"#, path: "/routes/0/match", message: "must have exactly one of"),
        .top("route without match", #""routes": [ { "upstream": "k" } ]"#, path: "/routes/0/match", message: "is required"),
        .top(
            "empty prefix", #""routes": [ { "match": { "prefix": "" }, "upstream": "k" } ]"#, path: "/routes/0/match/prefix",
            message: "must not be empty"),
        .top(
            "client to unknown upstream", #""clients": [ { "name": "a", "token": "t", "upstreams": ["k", "c2"] } ]"#,
            path: "/clients/0/upstreams/1", message: #"unknown upstream "c2""#),
        .top("client without token", #""clients": [ { "name": "a" } ]"#, path: "/clients/0/token", message: "is required"),
        .top(
            "duplicate client names", #""clients": [ { "name": "a", "token": "t1" }, { "name": "a", "token": "t2" } ]"#,
            path: "/clients/1/name", message: #"duplicate client name "a" (also at /clients/0/name)"#),
        .top(
            "duplicate client tokens", #""clients": [ { "name": "a", "token": "t" }, { "name": "b", "token": "t" } ]"#,
            path: "/clients/1/token", message: "same token as /clients/0/token"),
        // Environment.
        .upstream(
            "missing variable", #""auth": { "type": "bearer", "token": "${KUBIYA_API_TOKEN}" }"#,
            path: "/upstreams/k/auth/token", message: "environment variable KUBIYA_API_TOKEN is not set"),
        .baseURL(
            "missing variable in a URL", "https://${KUBIYA_HOST}/api",
            message: "environment variable KUBIYA_HOST is not set"),
        .upstream(
            "malformed variable", #""auth": { "type": "bearer", "token": "${TOKEN" }"#, path: "/upstreams/k/auth/token",
            message: "malformed environment variable reference"),
    ]

    @Test(arguments: cases)
    func invalidFileNamesItsJSONPath(_ example: InvalidConfigCase) {
        let issues = ConfigFixtures.issues(example.json, environment: Self.environment)
        let matching = issues.filter { $0.path == example.path && $0.message.contains(example.message) }
        #expect(!matching.isEmpty, "expected \(example.path): …\(example.message)…, got:\n\(ConfigError(issues: issues))")
        // One mistake, one issue: no cascade of follow-on complaints.
        #expect(issues.count == 1, "\(ConfigError(issues: issues))")
        #expect(ConfigError(issues: issues).description.contains("\(example.path.isEmpty ? "(root)" : example.path): "))
    }
}
