internal import CurlClient
internal import Foundation

/// What every request to one upstream shares, and a reload keeps: its concurrency slots, its rate
/// gate and (C1) its token cache. One registry lives as long as the gateway; each configuration
/// built from a reload asks it for its upstreams' resources by name.
///
/// - Slots and the rate gate are kept per upstream name and take the new limits, so calls still
///   in flight from before a reload count against the new `concurrency`.
/// - The token cache is kept while token URL, client ID and secret are unchanged: a reload does
///   not fetch a token.
///
/// `@unchecked Sendable`: `entries` is read and written only under `lock`.
public final class UpstreamRegistry: @unchecked Sendable {
    struct Resources {
        let slots: AsyncSemaphore
        let gate: RateGate
        let credentials: AuthLayer.Credentials
    }

    private struct Entry {
        let slots: AsyncSemaphore
        let gate: RateGate
        var tokenSource: C1TokenSource?
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    public init() {}

    func resources(
        for upstream: UpstreamConfig, transport: any HTTPTransport, clock: UpstreamClock, metrics: GatewayMetrics
    ) -> Resources {
        lock.withLock {
            var entry: Entry
            if let existing = entries[upstream.name] {
                entry = existing
                entry.slots.setLimit(max(1, upstream.concurrency))
                entry.gate.configure(upstream.rateLimit)
            } else {
                entry = Entry(slots: AsyncSemaphore(permits: max(1, upstream.concurrency)), gate: RateGate(upstream.rateLimit))
            }
            let credentials: AuthLayer.Credentials
            switch upstream.auth {
            case .none:
                credentials = .none
                entry.tokenSource = nil
            case .bearer(let token):
                credentials = .header(HTTPHeader("Authorization", "Bearer \(token.revealed)"))
                entry.tokenSource = nil
            case .header(let name, let value):
                credentials = .header(HTTPHeader(name, value.revealed))
                entry.tokenSource = nil
            case .oauth2ClientCredentials(let tokenURL, let clientID, let clientSecret):
                let url = Self.absoluteURL(tokenURL, base: upstream.baseURL)
                let source =
                    entry.tokenSource.flatMap { $0.serves(tokenURL: url, clientID: clientID, clientSecret: clientSecret) ? $0 : nil }
                    ?? C1TokenSource(
                        tokenURL: url, clientID: clientID, clientSecret: clientSecret, transport: transport, clock: clock,
                        onFetch: { [name = upstream.name] in metrics.tokenFetch(upstream: name, succeeded: $0) })
                entry.tokenSource = source
                credentials = .token(source)
            }
            entries[upstream.name] = entry
            return Resources(slots: entry.slots, gate: entry.gate, credentials: credentials)
        }
    }

    /// `token_url` may be relative to `base_url`: it is then appended to it.
    static func absoluteURL(_ url: String, base: String) -> String {
        url.hasPrefix("http://") || url.hasPrefix("https://") ? url : base + (url.hasPrefix("/") ? url : "/" + url)
    }
}
