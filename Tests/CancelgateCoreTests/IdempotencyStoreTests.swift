import CancelgateWire
import Foundation
import Testing

@testable import CancelgateCore

@Suite struct IdempotencyStoreTests {
    /// A wall clock the test moves by hand.
    // unchecked Sendable: `current` is only read or written while holding `lock`.
    final class TestClock: @unchecked Sendable {
        private let lock = NSLock()
        private var current = Date(timeIntervalSince1970: 1_800_000_000)

        func now() -> Date {
            lock.withLock { current }
        }

        func advance(by interval: TimeInterval) {
            lock.withLock { current += interval }
        }
    }

    static func report(_ requestID: String) -> CancelReport {
        CancelReport(
            requestID: requestID, dryRun: false, summary: Summary(total: 1, succeeded: 1, failed: 0, outcomes: ["cancelled": 1]),
            results: [
                ItemResult(
                    index: 0, id: "tsk_1", upstream: "skyvern", provider: "skyvern", outcome: .cancelled, retryable: false, cancelledAt: nil,
                    httpStatus: 200, attempts: 1, error: nil)
            ],
            plan: nil)
    }

    /// begin + complete: the key now holds `report(key)`.
    func store(_ store: InMemoryIdempotencyStore, _ key: String, scope: String = "") async {
        #expect(await store.begin(scope: scope, key: key, fingerprint: "f-\(key)") == .proceed)
        await store.complete(scope: scope, key: key, fingerprint: "f-\(key)", report: Self.report(key))
    }

    func holds(_ store: InMemoryIdempotencyStore, _ keys: String...) async -> [String] {
        var held: [String] = []
        for key in keys where await store.holdsReport(scope: "", key: key) { held.append(key) }
        return held
    }

    func replays(_ store: InMemoryIdempotencyStore, _ key: String) async -> Bool {
        if case .replay = await store.begin(scope: "", key: key, fingerprint: "f-\(key)") { return true }
        return false
    }

    @Test func sameRequestReplaysOtherRequestMismatchesRunningIsInProgress() async {
        let clock = TestClock()
        let store = InMemoryIdempotencyStore(maxEntries: 10, now: clock.now)
        #expect(await store.begin(scope: "", key: "k", fingerprint: "a") == .proceed)
        #expect(await store.begin(scope: "", key: "k", fingerprint: "a") == .inProgress)
        #expect(await store.begin(scope: "", key: "k", fingerprint: "b") == .mismatch)
        await store.complete(scope: "", key: "k", fingerprint: "a", report: Self.report("r1"))
        #expect(await store.begin(scope: "", key: "k", fingerprint: "a") == .replay(Self.report("r1"), storedAt: clock.now()))
        #expect(await store.begin(scope: "", key: "k", fingerprint: "b") == .mismatch)
    }

    @Test func keysAreScopedPerCaller() async {
        let store = InMemoryIdempotencyStore(maxEntries: 10)
        #expect(await store.begin(scope: "alice", key: "k", fingerprint: "a") == .proceed)
        #expect(await store.begin(scope: "bob", key: "k", fingerprint: "b") == .proceed)
        #expect(await store.begin(scope: "", key: "k", fingerprint: "c") == .proceed)
        #expect(await store.count == 3)
    }

    @Test func abandonFreesTheKeyButNeverAFinishedOne() async {
        let store = InMemoryIdempotencyStore(maxEntries: 10)
        #expect(await store.begin(scope: "", key: "k", fingerprint: "a") == .proceed)
        await store.abandon(scope: "", key: "k")
        #expect(await store.begin(scope: "", key: "k", fingerprint: "b") == .proceed)
        await store.complete(scope: "", key: "k", fingerprint: "b", report: Self.report("r"))
        await store.abandon(scope: "", key: "k")
        #expect(await store.begin(scope: "", key: "k", fingerprint: "a") == .mismatch)
    }

    @Test func leastRecentlyUsedIsEvictedFirst() async {
        let store = InMemoryIdempotencyStore(maxEntries: 3)
        for key in ["a", "b", "c"] { await self.store(store, key) }
        // A replay is a use: "a" becomes the most recent, "b" the least.
        #expect(await replays(store, "a"))
        await self.store(store, "d")
        #expect(await store.count == 3)
        #expect(await holds(store, "a", "b", "c", "d") == ["a", "c", "d"])
        // Now c, a, d from least to most recent; using c leaves a the least recent.
        #expect(await replays(store, "c"))
        await self.store(store, "e")
        #expect(await holds(store, "a", "c", "d", "e") == ["c", "d", "e"])
        await self.store(store, "f")
        #expect(await holds(store, "c", "d", "e", "f") == ["c", "e", "f"])
    }

    @Test func runningKeysAreNeverEvicted() async {
        let store = InMemoryIdempotencyStore(maxEntries: 2)
        #expect(await store.begin(scope: "", key: "run1", fingerprint: "x") == .proceed)
        #expect(await store.begin(scope: "", key: "run2", fingerprint: "x") == .proceed)
        // Full of running keys: a third one still proceeds, and nothing running is dropped.
        #expect(await store.begin(scope: "", key: "run3", fingerprint: "x") == .proceed)
        #expect(await store.count == 3)
        for key in ["run1", "run2", "run3"] {
            #expect(await store.begin(scope: "", key: key, fingerprint: "x") == .inProgress)
        }
        // Finishing one makes it evictable; the others stay in progress.
        await store.complete(scope: "", key: "run1", fingerprint: "x", report: Self.report("r"))
        #expect(await store.count == 2)
        #expect(await store.begin(scope: "", key: "run2", fingerprint: "x") == .inProgress)
        #expect(await store.begin(scope: "", key: "run3", fingerprint: "x") == .inProgress)
        #expect(await store.begin(scope: "", key: "run1", fingerprint: "x") == .proceed)
    }

    @Test func finishedKeysExpireAfter24Hours() async {
        let clock = TestClock()
        let store = InMemoryIdempotencyStore(maxEntries: 10, now: clock.now)
        await self.store(store, "old")
        clock.advance(by: 12 * 3600)
        await self.store(store, "young")
        clock.advance(by: 12 * 3600 - 1)
        #expect(await replays(store, "old"))
        clock.advance(by: 1)
        // 24 h after completion: the key is free again, even for another request.
        #expect(await store.begin(scope: "", key: "old", fingerprint: "another") == .proceed)
        #expect(await replays(store, "young"))
        clock.advance(by: 12 * 3600)
        #expect(await store.begin(scope: "", key: "young", fingerprint: "f-young") == .proceed)
    }

    /// Every stored report of this test is the same size: `report(key)` with one-letter keys.
    static let reportSize = report("a").jsonSize

    @Test func reportSizeIsItsCompactJSONSize() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        #expect(Self.reportSize == (try encoder.encode(Self.report("a"))).count)
    }

    @Test func reportsBeyondTheByteLimitEvictTheLeastRecentlyUsed() async {
        // Room for three reports, many more entries.
        let store = InMemoryIdempotencyStore(maxEntries: 100, maxBytes: 3 * Self.reportSize + Self.reportSize / 2)
        for key in ["a", "b", "c"] { await self.store(store, key) }
        #expect(await store.storedBytes == 3 * Self.reportSize)
        #expect(await replays(store, "a"))
        await self.store(store, "d")
        // "b" was the least recently used; the byte count went back down by its report.
        #expect(await holds(store, "a", "b", "c", "d") == ["a", "c", "d"])
        #expect(await store.storedBytes == 3 * Self.reportSize)
        #expect(await store.count == 3)
    }

    /// A report larger than the whole limit is not kept, and nothing else is forgotten for it:
    /// a retry with its key runs the request again.
    @Test func aReportLargerThanTheLimitIsNotKept() async {
        let store = InMemoryIdempotencyStore(maxEntries: 100, maxBytes: 2 * Self.reportSize)
        await self.store(store, "a")
        var large = Self.report("big")
        large.results += (1...10).map {
            ItemResult(
                index: $0, id: "tsk_\($0)", upstream: nil, provider: nil, outcome: .unroutable, retryable: false, cancelledAt: nil,
                httpStatus: nil, attempts: 0, error: nil)
        }
        #expect(large.jsonSize > 2 * Self.reportSize)
        #expect(await store.begin(scope: "", key: "big", fingerprint: "f") == .proceed)
        await store.complete(scope: "", key: "big", fingerprint: "f", report: large)
        #expect(await store.holdsReport(scope: "", key: "big") == false)
        #expect(await store.begin(scope: "", key: "big", fingerprint: "f") == .proceed)
        #expect(await holds(store, "a") == ["a"])
        #expect(await store.storedBytes == Self.reportSize)
    }

    @Test func expiredAndReplacedReportsGiveTheirBytesBack() async {
        let clock = TestClock()
        let store = InMemoryIdempotencyStore(maxEntries: 10, maxBytes: 10 * Self.reportSize, now: clock.now)
        await self.store(store, "a")
        await self.store(store, "b")
        #expect(await store.storedBytes == 2 * Self.reportSize)
        clock.advance(by: 24 * 3600)
        // Looking up an expired key frees both expired reports (the old end of the list first).
        #expect(await store.begin(scope: "", key: "b", fingerprint: "other") == .proceed)
        #expect(await store.storedBytes == 0)
    }

    @Test func runningKeysDoNotExpire() async {
        let clock = TestClock()
        let store = InMemoryIdempotencyStore(maxEntries: 10, now: clock.now)
        #expect(await store.begin(scope: "", key: "k", fingerprint: "x") == .proceed)
        clock.advance(by: 48 * 3600)
        #expect(await store.begin(scope: "", key: "k", fingerprint: "x") == .inProgress)
        await store.complete(scope: "", key: "k", fingerprint: "x", report: Self.report("r"))
        // The 24 h count from completion.
        #expect(await store.begin(scope: "", key: "k", fingerprint: "x") == .replay(Self.report("r"), storedAt: clock.now()))
    }
}

@Suite struct IdempotencyFingerprintTests {
    /// The body fields the fingerprint reads, decoded as the server's parser would see them.
    struct Body: Decodable {
        struct Item: Decodable {
            let id: String
            let upstream: String?
        }

        let reason: String?
        let upstream: String?
        let ids: [String]?
        let items: [Item]?
    }

    static func fingerprint(_ json: String, dryRun: Bool = false) throws -> String {
        let body = try JSONDecoder().decode(Body.self, from: Data(json.utf8))
        let entries = (body.ids ?? []).map { CancelEntry(id: $0) } + (body.items ?? []).map { CancelEntry(id: $0.id, upstream: $0.upstream) }
        let request = CancelRequest(
            requestID: UUID().uuidString, reason: body.reason ?? "default reason", defaultUpstream: body.upstream, entries: entries,
            dryRun: dryRun)
        return IdempotencyFingerprint.of(request)
    }

    static let base = #"{"reason":"rollback","upstream":"kubiya","ids":["a","b"],"items":[{"id":"c","upstream":"c1"}]}"#

    @Test func sameRequestInAnotherSpellingHasTheSameFingerprint() throws {
        let reordered = #"""
            { "items": [ { "upstream": "c1", "id": "c" } ],
              "ids": [ "a", "b" ],
              "upstream": "kubiya", "reason": "rollback" }
            """#
        let fingerprint = try Self.fingerprint(Self.base)
        #expect(try Self.fingerprint(reordered) == fingerprint)
        #expect(fingerprint.count == 64)
        #expect(fingerprint.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        // The request ID (a retry's new X-Request-ID) is not part of it.
        #expect(try Self.fingerprint(Self.base) == fingerprint)
        // An omitted reason is the default reason.
        #expect(try Self.fingerprint(#"{"ids":["a"]}"#) == Self.fingerprint(#"{"ids":["a"],"reason":"default reason"}"#))
    }

    static let others: [(String, String)] = [
        ("another reason", #"{"reason":"rollback 2","upstream":"kubiya","ids":["a","b"],"items":[{"id":"c","upstream":"c1"}]}"#),
        ("another default upstream", #"{"reason":"rollback","upstream":"skyvern","ids":["a","b"],"items":[{"id":"c","upstream":"c1"}]}"#),
        ("no default upstream", #"{"reason":"rollback","ids":["a","b"],"items":[{"id":"c","upstream":"c1"}]}"#),
        ("another id", #"{"reason":"rollback","upstream":"kubiya","ids":["a","x"],"items":[{"id":"c","upstream":"c1"}]}"#),
        ("ids in another order", #"{"reason":"rollback","upstream":"kubiya","ids":["b","a"],"items":[{"id":"c","upstream":"c1"}]}"#),
        ("one id more", #"{"reason":"rollback","upstream":"kubiya","ids":["a","b","b"],"items":[{"id":"c","upstream":"c1"}]}"#),
        ("another item upstream", #"{"reason":"rollback","upstream":"kubiya","ids":["a","b"],"items":[{"id":"c","upstream":"kubiya"}]}"#),
        ("item without upstream", #"{"reason":"rollback","upstream":"kubiya","ids":["a","b"],"items":[{"id":"c"}]}"#),
        // Concatenation must not make two lists look alike.
        ("ids joined", #"{"reason":"rollback","upstream":"kubiya","ids":["ab"],"items":[{"id":"c","upstream":"c1"}]}"#),
    ]

    @Test(arguments: 0..<others.count)
    func anotherRequestHasAnotherFingerprint(index: Int) throws {
        let (name, json) = Self.others[index]
        #expect(try Self.fingerprint(json) != Self.fingerprint(Self.base), "\(name)")
    }

    @Test func dryRunIsPartOfTheRequest() throws {
        #expect(try Self.fingerprint(Self.base, dryRun: true) != Self.fingerprint(Self.base, dryRun: false))
    }
}
