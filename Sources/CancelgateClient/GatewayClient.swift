public import CancelgateWire
public import CurlClient
internal import Foundation
public import Logging

/// The two calls `cancelgate cancel` makes, over the project's `CurlClient`. Every failure comes
/// back as a ``CancelCommandError`` whose message a person can act on.
public struct GatewayClient: Sendable {
    /// Answered when `/v1/upstreams` has no `max_items` (a gateway older than the field).
    public static let defaultMaxItems = 1000

    public let baseURL: String
    let token: String?
    let http: CurlClient
    let timeout: Duration
    /// Waits before sending a chunk again after a 409 (its key's first request is still running
    /// on the gateway, e.g. the one an interrupted run left behind). Empty: no retry.
    let conflictRetryDelays: [Duration]
    let logger: Logger

    /// - Parameters:
    ///   - server: `http(s)://host[:port][/prefix]`.
    ///   - token: sent as `Authorization: Bearer` when not nil; never logged or printed.
    ///   - timeout: one request, connect included (the gateway's own deadline is 30 s by default).
    public init(
        server: String, token: String?, http: CurlClient, timeout: Duration = .seconds(120),
        conflictRetryDelays: [Duration] = [1, 2, 4, 8, 15, 30].map { .seconds($0) }, logger: Logger
    ) throws(CancelCommandError) {
        self.baseURL = try Self.validate(server)
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.http = http
        self.timeout = timeout
        self.conflictRetryDelays = conflictRetryDelays
        self.logger = logger
    }

    /// `max_items` from `GET /v1/upstreams`; ``defaultMaxItems`` when the gateway does not say.
    public func maxItems() async throws(CancelCommandError) -> Int {
        let response = try await send(CurlRequest(method: "GET", url: baseURL + "/v1/upstreams", headers: headers(), timeout: timeout))
        switch response.status {
        case 200:
            let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any]
            guard let object else { throw notJSON(response, "/v1/upstreams") }
            return (object["max_items"] as? Int).flatMap { $0 > 0 ? $0 : nil } ?? Self.defaultMaxItems
        case 404:
            return Self.defaultMaxItems
        default:
            throw problem(response, chunk: nil)
        }
    }

    /// A chunk's answer: the gateway's report, and whether it was replayed from an earlier run.
    public struct Answer: Sendable {
        public var report: CancelReport
        public var replayed: Bool
    }

    /// `POST /v1/cancel` with the chunk's IDs and Idempotency-Key; 409 is retried after each of
    /// `conflictRetryDelays`, `waiting` told before each wait.
    public func cancel(
        _ chunk: Chunk, parameters: CancelParameters, waiting: (Duration) -> Void = { _ in }
    ) async throws(CancelCommandError) -> Answer {
        var request = CurlRequest(
            method: "POST", url: baseURL + "/v1/cancel" + parameters.query,
            headers: headers() + [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Idempotency-Key", chunk.idempotencyKey)],
            body: chunk.body(parameters), timeout: timeout)
        request.headers.append(HTTPHeader("Accept", "application/json"))
        var delays = conflictRetryDelays[...]
        while true {
            let response = try await send(request)
            logger.debug(
                "cancel request answered",
                metadata: [
                    "chunk.index": "\(chunk.index)", "item.count": "\(chunk.ids.count)", "http.status": "\(response.status)",
                    "request.id": "\(response.header("X-Request-ID") ?? "-")",
                ])
            if response.status == 409, let delay = delays.popFirst() {
                logger.debug("request with this Idempotency-Key still running on the gateway; waiting", metadata: ["delay": "\(delay)"])
                waiting(delay)
                do { try await Task.sleep(for: delay) } catch { throw CancelCommandError(.cancelled, "interrupted") }
                continue
            }
            guard response.status == 200 else { throw problem(response, chunk: chunk) }
            guard let report = try? JSONDecoder().decode(CancelReport.self, from: response.body) else {
                throw notJSON(response, "/v1/cancel")
            }
            guard report.results.map(\.id) == chunk.ids else {
                throw CancelCommandError(
                    .connection, "\(baseURL) answered \(report.results.count) results for \(chunk.ids.count) IDs, or in another order")
            }
            return Answer(report: report, replayed: response.header("Idempotent-Replayed")?.lowercased() == "true")
        }
    }

    func headers() -> [HTTPHeader] {
        token.map { [HTTPHeader("Authorization", "Bearer \($0)")] } ?? []
    }

    func send(_ request: CurlRequest) async throws(CancelCommandError) -> CurlResponse {
        do {
            return try await http.execute(request)
        } catch {
            switch error.kind {
            case .cancelled, .shutdown: throw CancelCommandError(.cancelled, "interrupted")
            case .timeout: throw CancelCommandError(.connection, "\(baseURL) did not answer within \(timeout)")
            case .invalidURL: throw CancelCommandError(.usage, "\(baseURL) is not a usable URL (\(error.message))")
            default: throw CancelCommandError(.connection, "cannot reach \(baseURL): \(error.message)")
            }
        }
    }

    /// `http(s)://host[:port][/prefix]` without a trailing slash, query or fragment.
    static func validate(_ server: String) throws(CancelCommandError) -> String {
        guard let components = URLComponents(string: server), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil, components.user == nil
        else {
            throw CancelCommandError(.usage, "--server \(server) is not an http(s) URL like http://127.0.0.1:8080")
        }
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }
}
