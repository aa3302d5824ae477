internal import Foundation
internal import CurlClient

/// One provider's translation, pure: from units to the upstream calls that cancel them, and from
/// an upstream's reply back to one `Resolution` per unit, or to follow-up calls that will learn
/// it (Skyvern's single cancel that explains a bulk failure). Adapters never send anything: the
/// `Dispatcher` alone makes calls, through the `Pipeline` (limits, deadlines, retries).
protocol ProviderAdapter: Sendable {
    /// Why `id` can never be valid for this provider, or nil. Checked before any call.
    func rejection(of id: String) -> String?
    /// The key under which two spellings of one run are the same run (de-duplication).
    func canonicalKey(_ id: String) -> String
    /// IDs per upstream call for this upstream (1 for per-ID providers).
    func chunkSize(_ upstream: UpstreamConfig) -> Int
    /// The calls that cancel `chunk` (unique units): one for a batch provider, one per unit otherwise.
    func cancelCalls(for chunk: [PlannedUnit], reason: String) -> [UnitCall]
    /// What `reply` says about the units of `call`: a resolution for each, or follow-up calls that
    /// will give it. `reply` counts the attempts, and the doubt, of this call and those before it.
    func interpret(_ reply: UpstreamReply, to call: UnitCall, upstream: String) -> Interpretation
    /// HTTP statuses `RetryLayer` retries for this provider. A status that answers for a whole
    /// batch is only listed when nothing of the batch was done (a 200 is never retried).
    var transientStatuses: Set<Int> { get }
    /// The status read of one run (BEHAVIOR.md "Status reads"): same base URL and credentials.
    func statusRequest(for id: String) -> UpstreamRequest
    /// What a status read's reply says about the run `id` (the adapter's status table).
    func interpretStatus(_ reply: UpstreamReply, id: String, upstream: String) -> RunStatus
}

extension ProviderAdapter {
    func canonicalKey(_ id: String) -> String { id }
    /// 429, 502, 503, 504: not 500, which for most providers means the item itself failed.
    var transientStatuses: Set<Int> { RetryPolicy.commonTransientStatuses }
    /// A read changes nothing, so a 500 is worth another try too.
    var statusTransientStatuses: Set<Int> { RetryPolicy.commonTransientStatuses.union([500]) }
}

/// One unique (upstream, run) of a plan: the ID as it is sent, and the key its answer is kept under.
struct PlannedUnit: Sendable {
    var id: String
    var key: UnitKey

    init(id: String, key: UnitKey) {
        self.id = id
        self.key = key
    }
}

/// A call an adapter wants made, with the units it answers for.
struct UnitCall: Sendable {
    enum Purpose: Sendable {
        /// Cancels its units.
        case cancel
        /// Learns why an earlier answer left its units without a result (Skyvern's single cancel).
        case explain
        /// Reads the status of a unit whose cancel attempt was in doubt, before any second cancel.
        case read
    }

    var units: [PlannedUnit]
    var request: UpstreamRequest
    var purpose: Purpose
    /// Sends made for these units by the calls before this one, and whether one was in doubt.
    var priorAttempts: Int
    var priorInDoubt: Bool
    /// A read: the in-doubt cancel's own resolution (before `attempted`), which stands when the
    /// read cannot tell.
    var fallback: Resolution?
    /// A cancel sent again after a read: the attempts before it count against `retry.max_attempts`.
    var resent: Bool

    init(
        units: [PlannedUnit], request: UpstreamRequest, purpose: Purpose = .cancel, priorAttempts: Int = 0, priorInDoubt: Bool = false,
        fallback: Resolution? = nil, resent: Bool = false
    ) {
        self.units = units
        self.request = request
        self.purpose = purpose
        self.priorAttempts = priorAttempts
        self.priorInDoubt = priorInDoubt
        self.fallback = fallback
        self.resent = resent
    }

    var ids: [String] { units.map(\.id) }
}

/// An adapter's reading of one reply.
struct Interpretation: Sendable {
    /// By ID as sent; a unit of the call without one must be answered by a follow-up.
    var resolutions: [String: Resolution]
    var followUps: [UnitCall]

    init(_ resolutions: [String: Resolution], followUps: [UnitCall] = []) {
        self.resolutions = resolutions
        self.followUps = followUps
    }
}

enum Adapters {
    static func adapter(for upstream: UpstreamConfig) -> any ProviderAdapter {
        switch upstream.provider {
        case .kubiya: upstream.mode == .single ? KubiyaSingleAdapter() : KubiyaBatchAdapter()
        case .skyvern: SkyvernAdapter()
        case .meibel: MeibelAdapter()
        case .c1: C1Adapter()
        }
    }
}

/// Where a call went, for messages that must name it (a wrong `base_url`).
struct CallSite: Sendable {
    var upstream: String
    var path: String
}

/// Path and JSON helpers shared by the adapters.
enum Wire {
    /// Characters left as they are in a path segment: RFC 3986 unreserved minus "." (so "." and
    /// ".." cannot become dot-segments). Everything else is percent-encoded as UTF-8, so no ID can
    /// change the path, query or host of an upstream call (CONTRACT §1). Byte for byte what
    /// Foundation's `addingPercentEncoding` gives with that set (PercentEncodingTests), in a
    /// fraction of its time.
    static func segment(_ id: String) -> String {
        // Most IDs (UUIDs, tsk_…, digits) need no encoding at all.
        if id.utf8.allSatisfy(isUnreservedNotDot) { return id }
        let hex = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        encoded.reserveCapacity(id.utf8.count)
        for byte in id.utf8 {
            if isUnreservedNotDot(byte) {
                encoded.append(byte)
            } else {
                encoded.append(UInt8(ascii: "%"))
                encoded.append(hex[Int(byte >> 4)])
                encoded.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    private static func isUnreservedNotDot(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// `{"reason":…}`, the body of Kubiya's single terminate, encoded once for the reason last
    /// asked for: most requests carry the default reason, and JSONEncoder was 2 % of a single-ID
    /// cancel's instructions.
    static func reasonBody(_ reason: String) -> Data {
        if let last = lastReasonBody.withLock({ $0 }), last.reason == reason { return last.body }
        let body = json(ReasonBody(reason: reason))
        lastReasonBody.withLock { $0 = ReasonBodyCache(reason: reason, body: body) }
        return body
    }

    private struct ReasonBody: Encodable { let reason: String }
    private struct ReasonBodyCache {
        let reason: String
        let body: Data
    }
    private static let lastReasonBody = Locked<ReasonBodyCache?>(nil)

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
