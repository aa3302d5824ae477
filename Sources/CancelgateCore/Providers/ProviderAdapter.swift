internal import Foundation

/// One provider's translation: from requested IDs to upstream calls, and from upstream answers
/// back to one `Resolution` per ID. Adapters are pure translators plus, where the provider needs
/// it, the follow-up calls that learn an item's fate (Skyvern). Limits, deadlines and retries
/// belong to the dispatcher and the layers around `UpstreamCaller`; an adapter only names the
/// statuses its provider means as "try again" and reads an in-doubt reply (`UpstreamReply.inDoubt`).
public protocol ProviderAdapter: Sendable {
    /// Why `id` can never be valid for this provider, or nil. Checked before any call.
    func rejection(of id: String) -> String?
    /// The key under which two spellings of one run are the same run (de-duplication).
    func canonicalKey(_ id: String) -> String
    /// IDs per upstream call for this upstream (1 for per-ID providers).
    func chunkSize(_ upstream: UpstreamConfig) -> Int
    /// The calls `cancel(chunk:using:)` would make, for dry runs.
    func plannedRequests(for chunk: [String], reason: String) -> [UpstreamRequest]
    /// Cancels `chunk` (unique IDs) and answers for every one of them, each with its real
    /// number of HTTP attempts.
    func cancel(chunk: [String], using caller: UpstreamCaller) async -> [String: Resolution]
    /// HTTP statuses `RetryLayer` retries for this provider. A status that answers for a whole
    /// batch is only listed when nothing of the batch was done (a 200 is never retried).
    var transientStatuses: Set<Int> { get }
}

extension ProviderAdapter {
    public func canonicalKey(_ id: String) -> String { id }
    /// 429, 502, 503, 504: not 500, which for most providers means the item itself failed.
    public var transientStatuses: Set<Int> { RetryPolicy.commonTransientStatuses }
}

public enum Adapters {
    public static func adapter(for upstream: UpstreamConfig) -> any ProviderAdapter {
        switch upstream.provider {
        case .kubiya: upstream.mode == .single ? KubiyaSingleAdapter() : KubiyaBatchAdapter()
        case .skyvern: SkyvernAdapter()
        case .meibel: MeibelAdapter()
        case .c1: C1Adapter()
        }
    }
}

/// Path and JSON helpers shared by the adapters.
enum Wire {
    /// Characters left as they are in a path segment: RFC 3986 unreserved minus "." (so "." and
    /// ".." cannot become dot-segments). Everything else is percent-encoded as UTF-8, so no ID can
    /// change the path, query or host of an upstream call (CONTRACT §1).
    private static let segmentAllowed: CharacterSet = {
        var set = CharacterSet()
        set.insert(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~")
        return set
    }()

    static func segment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: segmentAllowed) ?? ""
    }

    static func json(_ value: some Encodable) -> Data {
        // Encoding our own plain structs of strings cannot fail.
        (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) -> T? {
        try? JSONDecoder().decode(type, from: data)
    }

    /// FastAPI's `{"detail": "..."}`, `{"message": ...}` or `{"error": ...}` text, when it is a string.
    static func detail(_ data: Data) -> String? {
        struct Body: Decodable {
            let detail: String?
            let message: String?
            let error: String?
            enum CodingKeys: String, CodingKey { case detail, message, error }
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: CodingKeys.self)
                detail = try? c.decodeIfPresent(String.self, forKey: .detail)
                message = try? c.decodeIfPresent(String.self, forKey: .message)
                error = try? c.decodeIfPresent(String.self, forKey: .error)
            }
        }
        guard let body = decode(Body.self, from: data) else { return nil }
        return body.message ?? body.error ?? body.detail
    }
}
