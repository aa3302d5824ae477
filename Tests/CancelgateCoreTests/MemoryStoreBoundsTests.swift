import CancelgateWire
import Testing

@testable import CancelgateCore

/// The memory store keeps the newest records within both its bounds: a record count and a
/// count of item results (so that long lists cannot grow a process without limit), oldest
/// evicted first, and never the record just written, however large.
@Suite struct MemoryStoreBoundsTests {
    static func record(_ id: String, at ms: Int64, items: Int, state: RecordState = .completed) -> CancelRecord {
        let results = (0..<items).map { ItemResult(index: $0, id: "\(id)-\($0)", outcome: .cancelled) }
        return CancelRecord(
            recordID: id, requestID: id, caller: nil, receivedAtMs: ms, finishedAtMs: ms, state: state, reason: "r", dryRun: false,
            idempotencyKey: nil, summary: Summary(results), results: results)
    }

    static func kept(_ store: MemoryStore) async throws -> [String] {
        try await store.records(RecordQuery()).records.map(\.requestID).sorted()
    }

    @Test func oldestRecordsGoFirstOnceTheResultsBoundIsPassed() async throws {
        let store = MemoryStore(keys: InMemoryIdempotencyStore(maxEntries: 10), maxRecords: 100, maxResults: 25)
        for (n, id) in ["a", "b", "c"].enumerated() { try await store.recordFinished(Self.record(id, at: Int64(n), items: 10), completing: nil) }
        #expect(try await Self.kept(store) == ["b", "c"], "30 results over a bound of 25: the oldest went")
        try await store.recordFinished(Self.record("big", at: 9, items: 40), completing: nil)
        #expect(try await Self.kept(store) == ["big"], "a record over the bound alone is kept, everything older goes")
        try await store.recordFinished(Self.record("small", at: 10, items: 1), completing: nil)
        #expect(try await Self.kept(store) == ["small"])
    }

    @Test func aRunningRecordThatFinishesLargeIsKeptAndCountedOnce() async throws {
        let store = MemoryStore(keys: InMemoryIdempotencyStore(maxEntries: 10), maxRecords: 100, maxResults: 30)
        try await store.recordStarted(Self.record("long", at: 1, items: 0, state: .running))
        try await store.recordFinished(Self.record("newer", at: 2, items: 5), completing: nil)
        try await store.recordFinished(Self.record("long", at: 1, items: 20), completing: nil)
        #expect(try await Self.kept(store) == ["long", "newer"], "25 results: both fit")
        try await store.recordFinished(Self.record("long", at: 1, items: 20), completing: nil)
        #expect(try await Self.kept(store) == ["long", "newer"], "rewriting a record does not count its results twice")
        try await store.recordFinished(Self.record("third", at: 3, items: 10), completing: nil)
        #expect(try await Self.kept(store) == ["newer", "third"], "35 results: the oldest (long) went")
    }

    @Test func theRecordCountBoundStillHolds() async throws {
        let store = MemoryStore(keys: InMemoryIdempotencyStore(maxEntries: 10), maxRecords: 2)
        for (n, id) in ["a", "b", "c"].enumerated() { try await store.recordFinished(Self.record(id, at: Int64(n), items: 1), completing: nil) }
        #expect(try await Self.kept(store) == ["b", "c"])
    }
}
