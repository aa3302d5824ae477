internal import Crypto
internal import Foundation

/// The identity of a request for `Idempotency-Key`: SHA-256 over a canonical form of the
/// validated request, so the same request spelled with other whitespace or key order (or with
/// `items` instead of `ids`) has the same fingerprint. What the upstreams would be asked to do
/// counts: the reason (after the default is applied), the default upstream, the entries (id,
/// upstream) in order and `dry_run`. The request ID and the caller do not: the caller is the
/// store's scope, and a retry usually carries a new `X-Request-ID`.
public enum IdempotencyFingerprint {
    /// Bump when the canonical form changes, so a shared store never compares two forms.
    static let version = 1

    private struct Canonical: Encodable {
        let v: Int
        let reason: String
        let upstream: String?
        /// `[id, upstream-or-null]` pairs.
        let entries: [[String?]]
        let dryRun: Bool

        // Optionals encode as explicit nulls so that every form has the same members.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(v, forKey: .v)
            try container.encode(reason, forKey: .reason)
            try container.encode(upstream, forKey: .upstream)
            try container.encode(entries, forKey: .entries)
            try container.encode(dryRun, forKey: .dryRun)
        }

        enum CodingKeys: String, CodingKey {
            case v, reason, upstream, entries
            case dryRun = "dry_run"
        }
    }

    /// Lower-case hex SHA-256.
    public static func of(_ request: CancelRequest) -> String {
        let canonical = Canonical(
            v: version, reason: request.reason, upstream: request.defaultUpstream,
            entries: request.entries.map { [$0.id, $0.upstream] }, dryRun: request.dryRun)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, bools and ints cannot fail.
        let data = (try? encoder.encode(canonical)) ?? Data()
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
