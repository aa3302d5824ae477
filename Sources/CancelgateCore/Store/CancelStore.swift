public import CancelgateWire

/// Who may see which records (CONTRACT §5): a client its own, an admin (or anyone without
/// `clients`) all.
public enum RecordVisibility: Sendable, Equatable {
    case all
    case caller(String)
}

/// `GET /v1/cancels?…`, checked.
public struct RecordQuery: Sendable, Equatable {
    public static let defaultLimit = 50
    public static let limits = 1...500

    /// One run ID: the records that name it, each with its matching results.
    public var runID: String?
    public var upstream: String?
    public var caller: String?
    public var outcome: Outcome?
    /// Inclusive bounds on `received_at`, milliseconds since 1970.
    public var sinceMs: Int64?
    public var untilMs: Int64?
    public var limit: Int
    /// Records strictly older (in list order) than this one.
    public var after: RecordCursor?
    public var visibility: RecordVisibility

    public init(
        runID: String? = nil, upstream: String? = nil, caller: String? = nil, outcome: Outcome? = nil, sinceMs: Int64? = nil,
        untilMs: Int64? = nil, limit: Int = defaultLimit, after: RecordCursor? = nil, visibility: RecordVisibility = .all
    ) {
        self.runID = runID
        self.upstream = upstream
        self.caller = caller
        self.outcome = outcome
        self.sinceMs = sinceMs
        self.untilMs = untilMs
        self.limit = limit
        self.after = after
        self.visibility = visibility
    }

    /// With `id` or `outcome` each entry carries its matching results; otherwise none.
    public var carriesResults: Bool { runID != nil || outcome != nil }

    /// Whether a result matches the item filters (for the results an entry carries).
    public func matches(_ result: ItemResult) -> Bool {
        (runID == nil || result.id == runID) && (outcome == nil || result.outcome == outcome)
            && (upstream == nil || result.upstream == upstream)
    }
}

/// A position in the newest-first list: `(received_at, record ID)` of the last entry shown.
/// Opaque to callers: `c1.<received ms>.<hex of the record ID's UTF-8>`.
public struct RecordCursor: Sendable, Equatable {
    public var receivedAtMs: Int64
    public var recordID: String

    public init(receivedAtMs: Int64, recordID: String) {
        self.receivedAtMs = receivedAtMs
        self.recordID = recordID
    }

    public init(after record: CancelRecord) {
        self.init(receivedAtMs: record.receivedAtMs, recordID: record.recordID)
    }

    public var token: String {
        "c1.\(receivedAtMs).\(recordID.utf8.map { String($0, radix: 16).leftPadded(to: 2) }.joined())"
    }

    /// Nil for anything this gateway did not write.
    public init?(token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "c1", let ms = Int64(parts[1]), ms >= 0, parts[2].count % 2 == 0, !parts[2].isEmpty else { return nil }
        var bytes: [UInt8] = []
        var index = parts[2].startIndex
        while index < parts[2].endIndex {
            let next = parts[2].index(index, offsetBy: 2)
            guard let byte = UInt8(parts[2][index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        guard let id = String(validating: bytes, as: UTF8.self) else { return nil }
        self.init(receivedAtMs: ms, recordID: id)
    }

    /// Whether `record` comes after this cursor in newest-first order.
    public func precedes(_ record: CancelRecord) -> Bool {
        record.receivedAtMs < receivedAtMs || (record.receivedAtMs == receivedAtMs && record.recordID < recordID)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

public struct RecordPage: Sendable, Equatable {
    public var records: [CancelRecord]
    public var next: RecordCursor?

    public init(records: [CancelRecord], next: RecordCursor?) {
        self.records = records
        self.next = next
    }
}

/// An `Idempotency-Key` being claimed for a request about to run.
public struct KeyClaim: Sendable, Equatable {
    public var scope: String
    public var key: String
    public var fingerprint: String
    public var recordID: String
    public var nowMs: Int64
    /// Until then another replica answers 409; after, the key may be taken over.
    public var leaseUntilMs: Int64
    /// A finished key stored before this is treated as unused.
    public var expiredBeforeMs: Int64

    public init(scope: String, key: String, fingerprint: String, recordID: String, nowMs: Int64, leaseUntilMs: Int64, expiredBeforeMs: Int64) {
        self.scope = scope
        self.key = key
        self.fingerprint = fingerprint
        self.recordID = recordID
        self.nowMs = nowMs
        self.leaseUntilMs = leaseUntilMs
        self.expiredBeforeMs = expiredBeforeMs
    }
}

/// The key a finished request completes, with the report a replay answers.
public struct KeyCompletion: Sendable, Equatable {
    public var scope: String
    public var key: String
    public var fingerprint: String
    public var recordID: String
    public var report: CancelReport

    public init(scope: String, key: String, fingerprint: String, recordID: String, report: CancelReport) {
        self.scope = scope
        self.key = key
        self.fingerprint = fingerprint
        self.recordID = recordID
        self.report = report
    }
}

/// Where records and idempotency keys live (CONTRACT §5): memory, SQLite or PostgreSQL. The
/// request path sees only this protocol. Every write is idempotent (a retried write after one
/// that did land changes nothing), so `RecordKeeper` may retry freely.
public protocol CancelStore: Sendable {
    /// `sqlite`, `postgres` or `memory`: for logs and metrics.
    var kind: String { get }
    /// True for a store in this process's memory, which cannot stall: `RecordKeeper` then calls
    /// it without the time bound (a task and a timer per write) that a database needs.
    var answersPromptly: Bool { get }

    /// Claims a key for the request whose record is `claim.recordID`, or says why not.
    func claimKey(_ claim: KeyClaim) async throws -> IdempotencyBegin
    /// Frees a key its request claimed but could not answer (no report), so it can be used again.
    func releaseKey(scope: String, key: String, recordID: String) async throws

    /// Inserts a running record; does nothing when the record exists (a retry, or the completed
    /// record got there first).
    func recordStarted(_ record: CancelRecord) async throws
    /// Writes the completed record (inserting it when its start never landed) and, in the same
    /// transaction, completes its key.
    func recordFinished(_ record: CancelRecord, completing key: KeyCompletion?) async throws

    /// The newest record of this request ID.
    func record(requestID: String) async throws -> CancelRecord?
    func records(_ query: RecordQuery) async throws -> RecordPage

    /// Marks running records whose lease ended before `beforeMs` as interrupted; returns their request IDs.
    func interruptRunning(leaseEndedBeforeMs beforeMs: Int64, nowMs: Int64) async throws -> [String]
    /// Deletes records finished (or received) and keys stored before `beforeMs`; returns how many records.
    func deleteExpired(beforeMs: Int64) async throws -> Int
}

extension CancelStore {
    public var answersPromptly: Bool { false }
}
