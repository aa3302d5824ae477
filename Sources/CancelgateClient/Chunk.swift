internal import Crypto
public import Foundation

/// What the gateway is asked to do for every chunk: the parts of the request body besides `ids`.
public struct CancelParameters: Sendable, Equatable {
    public var upstream: String?
    public var reason: String?
    public var dryRun: Bool
    /// Confirmed cancellation (`?confirm=true`).
    public var confirm: Bool

    public init(upstream: String? = nil, reason: String? = nil, dryRun: Bool = false, confirm: Bool = false) {
        self.upstream = upstream
        self.reason = reason
        self.dryRun = dryRun
        self.confirm = confirm
    }

    /// `?dry_run=true&confirm=true`, as asked; "" for neither.
    var query: String {
        let flags = [dryRun ? "dry_run=true" : nil, confirm ? "confirm=true" : nil].compactMap { $0 }
        return flags.isEmpty ? "" : "?" + flags.joined(separator: "&")
    }
}

/// One `POST /v1/cancel`: a slice of the input list and its Idempotency-Key.
public struct Chunk: Sendable, Equatable {
    /// 0-based position among the chunks.
    public let index: Int
    /// Position of `ids[0]` in the whole input list: the chunk's result `index`es are shifted by it.
    public let offset: Int
    public let ids: [String]
    public let idempotencyKey: String

    /// The list cut in order into chunks of at most `size` IDs (the gateway's `max_items`).
    public static func split(_ ids: [String], size: Int, parameters: CancelParameters) -> [Chunk] {
        let size = max(1, size)
        return stride(from: 0, to: ids.count, by: size).enumerated().map { index, offset in
            let slice = Array(ids[offset..<min(offset + size, ids.count)])
            return Chunk(index: index, offset: offset, ids: slice, idempotencyKey: key(index: index, ids: slice, parameters: parameters))
        }
    }

    /// The request body: `{"ids": [...], "reason"?: ..., "upstream"?: ...}`.
    public func body(_ parameters: CancelParameters) -> Data {
        let body = Body(ids: ids, reason: parameters.reason, upstream: parameters.upstream)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings and arrays of strings always encode.
        return (try? encoder.encode(body)) ?? Data()
    }

    /// `cgcli1-` + lower-case hex SHA-256 of what the gateway would be asked (upstream, reason,
    /// dry run, the chunk's IDs and its position), so running the same command again sends the
    /// same keys and the gateway replays the reports it stored instead of cancelling twice, while
    /// a changed reason or list makes new keys instead of a 422. Nothing else goes in: not the
    /// server URL or the token (the gateway scopes keys per caller itself).
    static func key(index: Int, ids: [String], parameters: CancelParameters) -> String {
        let material = KeyMaterial(
            v: 1, upstream: parameters.upstream, reason: parameters.reason, dryRun: parameters.dryRun, confirm: parameters.confirm ? true : nil,
            chunk: index, ids: ids)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(material)) ?? Data()
        return "cgcli1-" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    private struct Body: Encodable {
        let ids: [String]
        let reason: String?
        let upstream: String?
    }

    private struct KeyMaterial: Encodable {
        let v: Int
        let upstream: String?
        let reason: String?
        let dryRun: Bool
        /// Only written when true, so the keys of runs without --confirm stay as they were.
        let confirm: Bool?
        let chunk: Int
        let ids: [String]

        enum CodingKeys: String, CodingKey {
            case v, upstream, reason, chunk, ids, confirm
            case dryRun = "dry_run"
        }

        // Optionals as explicit nulls, so "no reason" never collides with any reason.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(v, forKey: .v)
            try container.encode(upstream, forKey: .upstream)
            try container.encode(reason, forKey: .reason)
            try container.encode(dryRun, forKey: .dryRun)
            try container.encodeIfPresent(confirm, forKey: .confirm)
            try container.encode(chunk, forKey: .chunk)
            try container.encode(ids, forKey: .ids)
        }
    }
}
