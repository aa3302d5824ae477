public import CurlClient
internal import Foundation

/// The transport under every upstream call: anything that executes a `CurlRequest`.
/// `CurlClient` in production; tests may put a stub here.
public protocol HTTPTransport: Sendable {
    func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse
}

extension CurlClient: HTTPTransport {}

/// Turns an adapter's relative request into a real one for its upstream: absolute URL, content
/// headers, and the upstream's credentials. For OAuth2 upstreams a 401 refreshes the token once
/// and retries (C1's SDK does the same).
public enum UpstreamAuthLayer {
    public static func send(for upstream: UpstreamConfig, transport: any HTTPTransport, metrics: GatewayMetrics = .disabled) -> UpstreamSend {
        let raw: @Sendable (CurlRequest) async -> CallResult = { request in
            do throws(CurlError) { return .success(try await transport.execute(request)) } catch { return .failure(error) }
        }
        switch upstream.auth {
        case .none:
            return { request, timeout in await raw(curlRequest(request, upstream: upstream, timeout: timeout, auth: nil)) }
        case .bearer(let token):
            let header = HTTPHeader("Authorization", "Bearer \(token.revealed)")
            return { request, timeout in await raw(curlRequest(request, upstream: upstream, timeout: timeout, auth: header)) }
        case .header(let name, let value):
            let header = HTTPHeader(name, value.revealed)
            return { request, timeout in await raw(curlRequest(request, upstream: upstream, timeout: timeout, auth: header)) }
        case .oauth2ClientCredentials(let tokenURL, let clientID, let clientSecret):
            let source = C1TokenSource(
                tokenURL: absoluteURL(tokenURL, base: upstream.baseURL), clientID: clientID, clientSecret: clientSecret, send: raw,
                onFetch: { metrics.tokenFetch(upstream: upstream.name, succeeded: $0) })
            return { request, timeout in
                await sendWithToken(request, timeout: timeout, upstream: upstream, source: source, raw: raw)
            }
        }
    }

    private static func sendWithToken(
        _ request: UpstreamRequest, timeout: Duration, upstream: UpstreamConfig, source: C1TokenSource,
        raw: @Sendable (CurlRequest) async -> CallResult
    ) async -> CallResult {
        var refused: String?
        for _ in 0..<2 {
            let token: String
            switch await source.accessToken(invalidating: refused) {
            case .success(let value): token = value
            case .failure(let failure):
                // The token endpoint's refusal is the gateway's auth failure, reported per item.
                return .success(CurlResponse(status: failure.status.map { $0 >= 500 ? $0 : 401 } ?? 503, headers: [], body: Data()))
            }
            let result = await raw(curlRequest(request, upstream: upstream, timeout: timeout, auth: HTTPHeader("Authorization", "Bearer \(token)")))
            guard case .success(let response) = result, response.status == 401, refused == nil else { return result }
            refused = token
        }
        preconditionFailure("unreachable: the loop returns on its second pass")
    }

    static func curlRequest(_ request: UpstreamRequest, upstream: UpstreamConfig, timeout: Duration, auth: HTTPHeader?) -> CurlRequest {
        var headers = [HTTPHeader("Accept", "application/json")]
        if let contentType = request.contentType { headers.append(HTTPHeader("Content-Type", contentType)) }
        if let auth { headers.append(auth) }
        headers += request.headers
        return CurlRequest(method: request.method, url: upstream.baseURL + request.path, headers: headers, body: request.body ?? Data(), timeout: timeout)
    }

    /// `token_url` may be relative to `base_url`: it is then appended to it.
    static func absoluteURL(_ url: String, base: String) -> String {
        url.hasPrefix("http://") || url.hasPrefix("https://") ? url : base + (url.hasPrefix("/") ? url : "/" + url)
    }
}
