/// The document, `/server`, `/routes` and `/clients`.
extension ConfigReader {
    /// Nil when anything was reported.
    mutating func routesConfig(_ document: JSONValue) -> RoutesConfig? {
        guard let root = object(document, at: "", allowed: Keys.root) else { return nil }
        if root["$schema"] != nil { _ = string(root, "$schema") }
        let server = server(root)
        let upstreams = upstreams(root)
        // Routes and clients are checked against every name declared, even an upstream that
        // had its own problems, so one mistake is reported once.
        var declared: Set<String> = []
        if case .object(let members)? = root["upstreams"] { declared = Set(members.keys) }
        let routes = routes(root, declared: declared)
        let clients = clients(root, declared: declared)
        let store = store(root)
        guard issues.isEmpty else { return nil }
        return RoutesConfig(server: server, upstreams: upstreams, routes: routes, clients: clients, store: store)
    }

    // MARK: Server

    private mutating func server(_ root: ConfigObject) -> ServerConfig {
        guard let value = root["server"], let server = object(value, at: root.path("server"), allowed: Keys.server) else {
            return ServerConfig()
        }
        let reason = string(server, "default_reason") ?? ServerConfig.defaultReason
        // Unicode scalars, as /v1/cancel's `reason` and the providers' validators count them.
        if !Limits.reasonLength.contains(reason.unicodeScalars.count) {
            report(
                server.path("default_reason"),
                "must be \(Limits.reasonLength.lowerBound) to \(Limits.reasonLength.upperBound) characters long, counted in Unicode code points "
                    + "(got \(reason.unicodeScalars.count))")
        }
        return ServerConfig(
            host: string(server, "host", nonEmpty: true) ?? ServerConfig.defaultHost,
            port: int(server, "port", in: Limits.port, default: ServerConfig.defaultPort) ?? ServerConfig.defaultPort,
            maxItems: int(server, "max_items", in: Limits.maxItems, default: ServerConfig.defaultMaxItems) ?? ServerConfig.defaultMaxItems,
            maxBodyBytes: int(server, "max_body_bytes", in: Limits.maxBodyBytes, default: ServerConfig.defaultMaxBodyBytes)
                ?? ServerConfig.defaultMaxBodyBytes,
            requestTimeoutMs: int(server, "request_timeout_ms", in: Limits.requestTimeoutMs, default: ServerConfig.defaultRequestTimeoutMs)
                ?? ServerConfig.defaultRequestTimeoutMs,
            defaultReason: reason,
            idempotencyMaxEntries: int(server, "idempotency_max_entries", in: Limits.idempotencyMaxEntries, default: ServerConfig.defaultIdempotencyMaxEntries)
                ?? ServerConfig.defaultIdempotencyMaxEntries,
            idempotencyMaxBytes: int(
                server, "idempotency_max_bytes", in: Limits.idempotencyMaxBytes, default: ServerConfig.defaultIdempotencyMaxBytes)
                ?? ServerConfig.defaultIdempotencyMaxBytes,
            confirmIntervalMs: int(server, "confirm_interval_ms", in: Limits.confirmIntervalMs, default: ServerConfig.defaultConfirmIntervalMs)
                ?? ServerConfig.defaultConfirmIntervalMs,
            confirmMaxWaitMs: int(server, "confirm_max_wait_ms", in: Limits.confirmMaxWaitMs, default: ServerConfig.defaultConfirmMaxWaitMs)
                ?? ServerConfig.defaultConfirmMaxWaitMs,
            maxJobItems: int(server, "max_job_items", in: Limits.maxJobItems, default: ServerConfig.defaultMaxJobItems) ?? ServerConfig.defaultMaxJobItems,
            maxJobBodyBytes: int(server, "max_job_body_bytes", in: Limits.maxJobBodyBytes, default: ServerConfig.defaultMaxJobBodyBytes)
                ?? ServerConfig.defaultMaxJobBodyBytes,
            maxRunningJobs: int(server, "max_running_jobs", in: Limits.maxRunningJobs, default: ServerConfig.defaultMaxRunningJobs)
                ?? ServerConfig.defaultMaxRunningJobs
        )
    }

    // MARK: Routes

    private mutating func routes(_ root: ConfigObject, declared: Set<String>) -> [RouteRule] {
        guard let value = root["routes"], let elements = array(value, at: root.path("routes")) else { return [] }
        var result: [RouteRule] = []
        for (index, element) in elements.enumerated() {
            let path = JSONPointer.appending(root.path("routes"), index)
            guard let route = object(element, at: path, allowed: Keys.route) else { continue }
            let match = match(route)
            let upstream = upstreamReference(route, "upstream", declared: declared)
            if let match, let upstream {
                result.append(RouteRule(match: match, upstream: upstream))
            }
        }
        return result
    }

    private mutating func match(_ route: ConfigObject) -> RouteRule.Match? {
        guard let value = route["match"] else {
            report(route.path("match"), "is required: {\"prefix\": \"…\"} or {\"regex\": \"…\"}")
            return nil
        }
        guard let match = object(value, at: route.path("match"), allowed: Keys.match) else { return nil }
        let present = Keys.match.filter { match[$0] != nil }
        guard present.count == 1 else {
            report(match.path, "must have exactly one of: \(Keys.match.joined(separator: ", "))")
            return nil
        }
        if match["prefix"] != nil {
            return string(match, "prefix", nonEmpty: true).map { .prefix($0) }
        }
        guard let source = string(match, "regex") else { return nil }
        guard let pattern = IDPattern(source) else {
            report(match.path("regex"), "not a valid regular expression: \"\(source)\"")
            return nil
        }
        return .regex(pattern)
    }

    /// A required upstream name that must be declared under `/upstreams`.
    private mutating func upstreamReference(_ object: ConfigObject, _ key: String, declared: Set<String>) -> String? {
        guard let name = string(object, key, required: true) else { return nil }
        return checkDeclared(name, at: object.path(key), declared: declared)
    }

    private mutating func checkDeclared(_ name: String, at path: String, declared: Set<String>) -> String? {
        // With no upstream declared, `/upstreams` has been reported already; one issue is enough.
        guard declared.isEmpty || declared.contains(name) else {
            report(path, "unknown upstream \"\(name)\"; configured upstreams: \(declared.sorted().joined(separator: ", "))")
            return nil
        }
        return name
    }

    // MARK: Clients

    private mutating func clients(_ root: ConfigObject, declared: Set<String>) -> [ClientConfig] {
        guard let value = root["clients"], let elements = array(value, at: root.path("clients")) else { return [] }
        var result: [ClientConfig] = []
        var names: [String: String] = [:]
        var tokens: [Secret: String] = [:]
        for (index, element) in elements.enumerated() {
            guard let client = object(element, at: JSONPointer.appending(root.path("clients"), index), allowed: Keys.client) else {
                continue
            }
            let name = string(client, "name", required: true, nonEmpty: true)
            let token = secret(client, "token")
            let upstreams = clientUpstreams(client, declared: declared)
            let admin = bool(client, "admin", default: false)
            if let name {
                if let first = names[name] {
                    report(client.path("name"), "duplicate client name \"\(name)\" (also at \(first))")
                } else {
                    names[name] = client.path("name")
                }
            }
            if let token {
                // Name the other client, never the token.
                if let first = tokens[token] {
                    report(client.path("token"), "same token as \(first): each client needs its own")
                } else {
                    tokens[token] = client.path("token")
                }
            }
            if let name, let token, let upstreams, let admin {
                result.append(ClientConfig(name: name, token: token, upstreams: upstreams, admin: admin))
            }
        }
        return result
    }

    /// Absent: every declared upstream.
    private mutating func clientUpstreams(_ client: ConfigObject, declared: Set<String>) -> [String]? {
        guard let value = client["upstreams"] else { return declared.sorted() }
        guard let elements = array(value, at: client.path("upstreams")) else { return nil }
        var names: [String] = []
        var complete = true
        for (index, element) in elements.enumerated() {
            let path = JSONPointer.appending(client.path("upstreams"), index)
            if let name = string(element, at: path), let known = checkDeclared(name, at: path, declared: declared) {
                names.append(known)
            } else {
                complete = false
            }
        }
        return complete ? names : nil
    }
}
