public import Foundation

/// A record's `state` (CONTRACT §5).
public struct RecordState: RawRepresentable, Sendable, Hashable, Codable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Written before the first upstream call; its results are what the caller would be told if
    /// the process died now (every item sent is `failed`, `interrupted`).
    public static let running = RecordState(rawValue: "running")
    /// The report was answered; `results` are the answer's.
    public static let completed = RecordState(rawValue: "completed")
    /// The process running it died; items without a result are `failed`, `interrupted`.
    public static let interrupted = RecordState(rawValue: "interrupted")
}

/// One `POST /v1/cancel` as kept by the store: the audit trail (CONTRACT §5). Times are
/// milliseconds since 1970 in the store and RFC 3339 on the wire.
public struct CancelRecord: Sendable, Equatable {
    /// The store's own key: a caller may send the same `X-Request-ID` twice, and neither request
    /// may overwrite the other's record. Not on the wire; `GET /v1/cancels/{request_id}` shows
    /// the newest record of that request ID.
    public var recordID: String
    public var requestID: String
    public var caller: String?
    public var receivedAtMs: Int64
    public var finishedAtMs: Int64?
    public var state: RecordState
    public var reason: String
    public var dryRun: Bool
    public var idempotencyKey: String?
    public var summary: Summary
    /// Nil where a list leaves them out.
    public var results: [ItemResult]?
    /// Until then a running record belongs to a live process; after, any replica may mark it
    /// interrupted.
    public var leaseUntilMs: Int64

    public init(
        recordID: String, requestID: String, caller: String?, receivedAtMs: Int64, finishedAtMs: Int64? = nil, state: RecordState, reason: String,
        dryRun: Bool, idempotencyKey: String?, summary: Summary, results: [ItemResult]?, leaseUntilMs: Int64 = 0
    ) {
        self.recordID = recordID
        self.requestID = requestID
        self.caller = caller
        self.receivedAtMs = receivedAtMs
        self.finishedAtMs = finishedAtMs
        self.state = state
        self.reason = reason
        self.dryRun = dryRun
        self.idempotencyKey = idempotencyKey
        self.summary = summary
        self.results = results
        self.leaseUntilMs = leaseUntilMs
    }

    /// This record, completed with the answered report.
    public func completed(with report: CancelReport, atMs: Int64) -> CancelRecord {
        var record = self
        record.state = .completed
        record.finishedAtMs = atMs
        record.summary = report.summary
        record.results = report.results
        return record
    }
}

extension CancelRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case caller
        case receivedAt = "received_at"
        case finishedAt = "finished_at"
        case state, reason
        case dryRun = "dry_run"
        case idempotencyKey = "idempotency_key"
        case summary, results
    }

    /// Nulls are written out (`"finished_at": null`), as the contract lists the fields.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requestID, forKey: .requestID)
        try container.encode(caller, forKey: .caller)
        try container.encode(RecordTime.format(receivedAtMs), forKey: .receivedAt)
        try container.encode(finishedAtMs.map(RecordTime.format), forKey: .finishedAt)
        try container.encode(state, forKey: .state)
        try container.encode(reason, forKey: .reason)
        try container.encode(dryRun, forKey: .dryRun)
        try container.encode(idempotencyKey, forKey: .idempotencyKey)
        try container.encode(summary, forKey: .summary)
        try container.encodeIfPresent(results, forKey: .results)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func time(_ key: CodingKeys) throws -> Int64? { try container.decodeTimeIfPresent(forKey: key) }
        let requestID = try container.decode(String.self, forKey: .requestID)
        self.init(
            recordID: requestID, requestID: requestID, caller: try container.decodeIfPresent(String.self, forKey: .caller),
            receivedAtMs: try time(.receivedAt) ?? 0, finishedAtMs: try time(.finishedAt), state: try container.decode(RecordState.self, forKey: .state),
            reason: try container.decode(String.self, forKey: .reason), dryRun: try container.decode(Bool.self, forKey: .dryRun),
            idempotencyKey: try container.decodeIfPresent(String.self, forKey: .idempotencyKey),
            summary: try container.decode(Summary.self, forKey: .summary), results: try container.decodeIfPresent([ItemResult].self, forKey: .results))
    }
}

extension KeyedDecodingContainer {
    /// An RFC 3339 time (`RecordTime.parse`) as milliseconds since 1970; nil when absent or null.
    func decodeTimeIfPresent(forKey key: Key) throws -> Int64? {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let ms = RecordTime.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not an RFC 3339 time")
        }
        return ms
    }
}

/// RFC 3339 times with milliseconds, UTC (`2026-12-02T18:04:50.123Z`).
public enum RecordTime {
    public static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    public static func format(_ ms: Int64) -> String {
        // The milliseconds are written from the integer: a Date's binary fraction could format
        // .123 as .122.
        let seconds = ms.quotientAndRemainder(dividingBy: 1000)
        let (whole, fraction) = seconds.remainder < 0 ? (seconds.quotient - 1, seconds.remainder + 1000) : seconds
        let text = Date(timeIntervalSince1970: TimeInterval(whole)).formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        let digits = String(fraction)
        return String(text.dropLast()) + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// RFC 3339, with or without fractional seconds, any offset; nil otherwise.
    public static func parse(_ text: String) -> Int64? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let plain = Date.ISO8601FormatStyle()
        guard let date = (try? withFraction.parse(text)) ?? (try? plain.parse(text)) else { return nil }
        // To the nearest millisecond: a time this gateway wrote (…​.123Z) reads back as written,
        // where rounding down could land a binary fraction one millisecond early.
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
