public import CancelgateWire
internal import Crypto
internal import CurlClient
internal import Foundation

/// `/v1/jobs` (CONTRACT §6), for `cancelgate cancel --async` and `cancelgate jobs`.
extension GatewayClient {
    public struct JobResults: Sendable, Decodable {
        public var results: [ItemResult]
        public var next_cursor: String?
    }

    struct JobList: Decodable {
        var jobs: [Job]
        var next_cursor: String?
    }

    /// `POST /v1/jobs` with every ID at once and an Idempotency-Key derived from the list and its
    /// parameters: the same command again answers the job it created, never a second one.
    public func submitJob(
        _ ids: [String], upstream: String?, reason: String?, ratePerSecond: Double?
    ) async throws(CancelCommandError) -> (job: Job, replayed: Bool) {
        var object: [String: Any] = ["ids": ids]
        if let upstream { object["upstream"] = upstream }
        if let reason { object["reason"] = reason }
        if let ratePerSecond { object["rate_per_second"] = ratePerSecond }
        let body: Data
        do { body = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) } catch {
            throw CancelCommandError(.usage, "the IDs cannot be written as JSON: \(error)")
        }
        // `cgjob1-` + SHA-256 of the body: a changed list, reason or rate makes a new key, not a 422.
        let key = "cgjob1-" + SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
        let request = CurlRequest(
            method: "POST", url: baseURL + "/v1/jobs",
            headers: headers() + [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Idempotency-Key", key)], body: body, timeout: timeout)
        let response = try await send(request)
        guard response.status == 202 else { throw problem(response, chunk: nil) }
        guard let job = try? JSONDecoder().decode(Job.self, from: response.body) else { throw notJSON(response, "/v1/jobs") }
        return (job, response.header("Idempotent-Replayed")?.lowercased() == "true")
    }

    /// `GET /v1/jobs/{id}`; nil when no job of that ID is visible to this caller.
    public func job(_ id: String) async throws(CancelCommandError) -> Job? {
        try await optionalJob("GET", "/v1/jobs/" + Self.pathSegment(id))
    }

    /// `POST /v1/jobs/{id}/cancel`; nil when no job of that ID is visible to this caller.
    public func cancelJob(_ id: String) async throws(CancelCommandError) -> Job? {
        try await optionalJob("POST", "/v1/jobs/" + Self.pathSegment(id) + "/cancel")
    }

    /// One page of `GET /v1/jobs/{id}/results`.
    public func jobResults(_ id: String, outcome: String?, cursor: String?, limit: Int = 10_000) async throws(CancelCommandError) -> JobResults {
        var query = [("limit", String(limit))]
        if let outcome { query.append(("outcome", outcome)) }
        if let cursor { query.append(("cursor", cursor)) }
        let path = "/v1/jobs/" + Self.pathSegment(id) + "/results"
        let response = try await send(CurlRequest(method: "GET", url: baseURL + path + "?" + Self.query(query), headers: headers(), timeout: timeout))
        guard response.status == 200 else { throw problem(response, chunk: nil) }
        guard let page = try? JSONDecoder().decode(JobResults.self, from: response.body) else { throw notJSON(response, path) }
        return page
    }

    /// `GET /v1/jobs?…`, newest first, up to `max`.
    public func jobs(state: String?, max: Int) async throws(CancelCommandError) -> [Job] {
        var all: [Job] = []
        var cursor: String?
        repeat {
            var query = [("limit", String(min(500, max - all.count)))]
            if let state { query.append(("state", state)) }
            if let cursor { query.append(("cursor", cursor)) }
            let response = try await send(CurlRequest(method: "GET", url: baseURL + "/v1/jobs?" + Self.query(query), headers: headers(), timeout: timeout))
            guard response.status == 200 else { throw problem(response, chunk: nil) }
            guard let page = try? JSONDecoder().decode(JobList.self, from: response.body) else { throw notJSON(response, "/v1/jobs") }
            all += page.jobs
            cursor = page.next_cursor
        } while cursor != nil && all.count < max
        return all
    }

    private func optionalJob(_ method: String, _ path: String) async throws(CancelCommandError) -> Job? {
        let response = try await send(CurlRequest(method: method, url: baseURL + path, headers: headers(), timeout: timeout))
        if response.status == 404 { return nil }
        guard response.status == 200 || response.status == 202 else { throw problem(response, chunk: nil) }
        guard let job = try? JSONDecoder().decode(Job.self, from: response.body) else { throw notJSON(response, path) }
        return job
    }

    static func pathSegment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? text
    }

    static func query(_ items: [(String, String)]) -> String {
        var components = URLComponents()
        components.queryItems = items.map { URLQueryItem(name: $0.0, value: $0.1) }
        return (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    }
}
