public import CancelgateWire

/// `"store": {"type": "memory"}`: nothing survives the process. Keys are an
/// `InMemoryIdempotencyStore` (bounded, least recently used forgotten first); records are the
/// newest `maxRecords` holding at most `maxResults` item results between them (the record just
/// written is always kept), for `/v1/cancels` while the process runs. Without the second bound, a
/// thousand 10,000-ID records would hold gigabytes.
public actor MemoryStore: CancelStore {
    public nonisolated let kind = "memory"
    public nonisolated var answersPromptly: Bool { true }
    public let keys: any IdempotencyStore
    public let maxRecords: Int
    public let maxResults: Int
    private var records: [String: CancelRecord] = [:]
    /// Record IDs in insertion order, oldest first, for eviction.
    private var order: [String] = []
    private var orderStart = 0
    /// Item results held by `records`.
    private var results = 0

    public init(keys: any IdempotencyStore, maxRecords: Int = 1000, maxResults: Int = 20_000) {
        precondition(maxRecords >= 1 && maxResults >= 0)
        self.keys = keys
        self.maxRecords = maxRecords
        self.maxResults = maxResults
    }

    public func claimKey(_ claim: KeyClaim) async throws -> IdempotencyBegin {
        await keys.begin(scope: claim.scope, key: claim.key, fingerprint: claim.fingerprint)
    }

    public func releaseKey(scope: String, key: String, recordID: String) async throws {
        await keys.abandon(scope: scope, key: key)
    }

    public func recordStarted(_ record: CancelRecord) async throws {
        guard records[record.recordID] == nil else { return }
        insert(record)
    }

    public func recordFinished(_ record: CancelRecord, completing key: KeyCompletion?) async throws {
        if let old = records[record.recordID] {
            results += (record.results?.count ?? 0) - (old.results?.count ?? 0)
            records[record.recordID] = record
            evict(keeping: record.recordID)
        } else {
            insert(record)
        }
        if let key {
            await keys.complete(scope: key.scope, key: key.key, fingerprint: key.fingerprint, report: key.report)
        }
    }

    public func record(requestID: String) async throws -> CancelRecord? {
        records.values.filter { $0.requestID == requestID }.max { ($0.receivedAtMs, $0.recordID) < ($1.receivedAtMs, $1.recordID) }
    }

    public func records(_ query: RecordQuery) async throws -> RecordPage {
        let sorted = records.values.sorted { ($0.receivedAtMs, $0.recordID) > ($1.receivedAtMs, $1.recordID) }
        var page: [CancelRecord] = []
        for record in sorted where query.after?.precedes(record) ?? true {
            guard Self.matches(record, query) else { continue }
            var entry = record
            entry.results = query.carriesResults ? record.results?.filter(query.matches) : nil
            page.append(entry)
            if page.count == query.limit + 1 { break }
        }
        let more = page.count > query.limit
        if more { page.removeLast() }
        return RecordPage(records: page, next: more ? page.last.map(RecordCursor.init(after:)) : nil)
    }

    static func matches(_ record: CancelRecord, _ query: RecordQuery) -> Bool {
        if case .caller(let name) = query.visibility, record.caller != name { return false }
        if let caller = query.caller, record.caller != caller { return false }
        if let since = query.sinceMs, record.receivedAtMs < since { return false }
        if let until = query.untilMs, record.receivedAtMs > until { return false }
        if query.runID != nil || query.outcome != nil || query.upstream != nil {
            return record.results?.contains(where: query.matches) ?? false
        }
        return true
    }

    public func interruptRunning(leaseEndedBeforeMs beforeMs: Int64, nowMs: Int64) async throws -> [String] {
        var ids: [String] = []
        for (id, record) in records where record.state == .running && record.leaseUntilMs < beforeMs {
            records[id]?.state = .interrupted
            records[id]?.finishedAtMs = nowMs
            ids.append(record.requestID)
        }
        return ids
    }

    public func deleteExpired(beforeMs: Int64) async throws -> Int {
        let expired = records.values.filter { ($0.finishedAtMs ?? $0.receivedAtMs) < beforeMs && $0.state != .running }.map(\.recordID)
        for id in expired { remove(id) }
        return expired.count
    }

    private func insert(_ record: CancelRecord) {
        records[record.recordID] = record
        results += record.results?.count ?? 0
        order.append(record.recordID)
        evict(keeping: record.recordID)
    }

    private func remove(_ id: String) {
        results -= records.removeValue(forKey: id)?.results?.count ?? 0
    }

    /// Oldest first, down to both bounds, never `kept` (the record just written) nor a newer one.
    private func evict(keeping kept: String) {
        while records.count > maxRecords || results > maxResults, orderStart < order.count, order[orderStart] != kept {
            remove(order[orderStart])
            orderStart += 1
        }
        // Compact the order list once its dead prefix outweighs the live part.
        if orderStart > maxRecords {
            order.removeFirst(orderStart)
            orderStart = 0
        }
    }
}
