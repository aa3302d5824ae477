internal import Foundation

/// `/upstreams/<name>`: provider, base URL, call shape, limits and retry.
extension ConfigReader {
    typealias Keys = ConfigLoader.Keys
    typealias Limits = ConfigLoader.Limits

    /// Upstreams in name order; one that has problems is reported and left out.
    mutating func upstreams(_ root: ConfigObject) -> [UpstreamConfig] {
        let path = root.path("upstreams")
        guard let value = root["upstreams"] else {
            report(path, "is required: an object of upstreams by name")
            return []
        }
        guard let upstreams = object(value, at: path) else { return [] }
        guard !upstreams.members.isEmpty else {
            report(path, "must have at least one upstream")
            return []
        }
        var result: [UpstreamConfig] = []
        for (name, body) in upstreams.members.sorted(by: { $0.key < $1.key }) {
            if let upstream = upstream(named: name, body, at: upstreams.path(name)) {
                result.append(upstream)
            }
        }
        return result
    }

    mutating func upstream(named name: String, _ value: JSONValue, at path: String) -> UpstreamConfig? {
        let validName = Self.isUpstreamName(name)
        if !validName {
            report(path, "upstream name must match \(Limits.upstreamNamePattern)")
        }
        guard let body = object(value, at: path, allowed: Keys.upstream) else { return nil }
        let provider = provider(body)
        let baseURL = httpURL(body, "base_url")
        let auth = auth(body)
        let mode = mode(body, provider: provider)
        let batchSize = int(body, "batch_size", in: Limits.batchSize, default: UpstreamConfig.defaultBatchSize)
        let concurrency = int(body, "concurrency", in: Limits.concurrency, default: UpstreamConfig.defaultConcurrency)
        let timeoutMs = int(body, "timeout_ms", in: Limits.timeoutMs, default: UpstreamConfig.defaultTimeoutMs)
        let retry = retry(body)
        let rateLimit = rateLimit(body)
        let confirm = bool(body, "confirm", default: false)
        let readInDoubt = bool(body, "read_in_doubt", default: true)
        guard validName, let provider, let baseURL, let auth, let mode, let batchSize, let concurrency, let timeoutMs, let retry, let rateLimit,
            let confirm, let readInDoubt
        else { return nil }
        return UpstreamConfig(
            name: name, provider: provider, baseURL: baseURL, auth: auth, mode: mode,
            batchSize: batchSize, concurrency: concurrency, timeoutMs: timeoutMs, retry: retry, rateLimit: rateLimit,
            confirm: confirm, readInDoubt: readInDoubt
        )
    }

    static func isUpstreamName(_ name: String) -> Bool {
        Limits.upstreamNameLength.contains(name.unicodeScalars.count)
            && name.unicodeScalars.allSatisfy { scalar in
                ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
                    || "_.-".unicodeScalars.contains(scalar)
            }
    }

    private mutating func provider(_ body: ConfigObject) -> ProviderKind? {
        guard let text = string(body, "provider", required: true) else { return nil }
        guard let provider = ProviderKind(rawValue: text) else {
            let known = ProviderKind.allCases.map(\.rawValue).joined(separator: ", ")
            report(body.path("provider"), "unknown provider \"\(text)\"; must be one of: \(known)")
            return nil
        }
        return provider
    }

    /// Kubiya alone has two call shapes; naming one for another provider is a mistake worth refusing.
    private mutating func mode(_ body: ConfigObject, provider: ProviderKind?) -> CallMode? {
        guard body["mode"] != nil else { return .batch }
        guard let text = string(body, "mode") else { return nil }
        guard let mode = CallMode(rawValue: text) else {
            report(body.path("mode"), "must be one of: batch, single")
            return nil
        }
        if mode == .single, let provider, provider != .kubiya {
            report(body.path("mode"), "\"single\" is only available for provider kubiya; \(provider.rawValue) has one call shape, so leave mode out")
            return nil
        }
        return mode
    }

    private mutating func retry(_ body: ConfigObject) -> RetryConfig? {
        guard let value = body["retry"] else { return RetryConfig() }
        guard let retry = object(value, at: body.path("retry"), allowed: Keys.retry) else { return nil }
        let attempts = int(retry, "max_attempts", in: Limits.maxAttempts, default: RetryConfig.defaultMaxAttempts)
        let base = int(retry, "base_delay_ms", in: Limits.delayMs, default: RetryConfig.defaultBaseDelayMs)
        let max = int(retry, "max_delay_ms", in: Limits.delayMs, default: RetryConfig.defaultMaxDelayMs)
        guard let attempts, let base, let max else { return nil }
        guard base <= max else {
            let at = retry["base_delay_ms"] != nil ? "base_delay_ms" : "max_delay_ms"
            report(retry.path(at), "base_delay_ms (\(base)) must not exceed max_delay_ms (\(max))")
            return nil
        }
        return RetryConfig(maxAttempts: attempts, baseDelayMs: base, maxDelayMs: max)
    }

    /// Absent: no limit (`.some(nil)`); nil: reported.
    private mutating func rateLimit(_ body: ConfigObject) -> RateLimitConfig?? {
        guard let value = body["rate_limit"] else { return .some(nil) }
        guard let limit = object(value, at: body.path("rate_limit"), allowed: Keys.rateLimit) else { return nil }
        guard limit["per_second"] != nil else {
            report(limit.path("per_second"), "is required: calls per second to this upstream")
            return nil
        }
        let perSecond = int(limit, "per_second", in: Limits.ratePerSecond, default: 1)
        guard let perSecond else { return nil }
        guard let burst = int(limit, "burst", in: Limits.rateBurst, default: perSecond) else { return nil }
        return .some(RateLimitConfig(perSecond: Double(perSecond), burst: burst))
    }

    // MARK: URLs

    /// A required absolute http(s) URL with a host and no query or fragment.
    mutating func httpURL(_ object: ConfigObject, _ key: String) -> String? {
        guard let text = string(object, key, required: true, nonEmpty: true) else { return nil }
        if let problem = Self.httpURLProblem(text) {
            report(object.path(key), problem)
            return nil
        }
        return text
    }

    /// Why `text` is not a usable upstream URL, or nil. The URL is not quoted back: its user
    /// part could hold a password.
    static func httpURLProblem(_ text: String) -> String? {
        let absolute = "must be an absolute http or https URL"
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else { return absolute }
        guard scheme == "http" || scheme == "https" else { return "\(absolute), not \(scheme):" }
        guard let host = components.host, !host.isEmpty else { return "\(absolute) with a host" }
        guard components.user == nil, components.password == nil else {
            return "must not carry user or password: credentials belong in auth, and base URLs are shown by /v1/upstreams"
        }
        guard components.query == nil else { return "must not have a query (?…)" }
        guard components.fragment == nil else { return "must not have a fragment (#…)" }
        return nil
    }
}
