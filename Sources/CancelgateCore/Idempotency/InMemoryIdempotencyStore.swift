public import CancelgateWire
public import Foundation

/// The store of one gateway process. Bounded: at most `maxEntries` keys are kept, and the
/// reports of finished keys take at most `maxBytes` (their size as compact JSON,
/// `CancelReport.jsonSize`); beyond either, the least recently used finished key is forgotten
/// first. A key whose request is still running is never forgotten (there are at most as many
/// as requests in flight). A report larger than `maxBytes` on its own is not kept, and nothing
/// else is forgotten for it: a retry with its key runs the request again. A finished key is
/// kept 24 hours from its completion, then treated as unused.
///
/// The finished keys form a doubly linked list from least to most recently used, threaded
/// through the dictionary, so every operation is O(1).
public actor InMemoryIdempotencyStore: IdempotencyStore {
    public static let defaultRetention: TimeInterval = 24 * 60 * 60

    struct Slot: Hashable {
        let scope: String
        let key: String
    }

    enum State {
        case running
        case finished(CancelReport, storedAt: Date)
    }

    struct Entry {
        var fingerprint: String
        var state: State
        /// The report's `jsonSize`; 0 while running.
        var size = 0
        /// Neighbours in the finished list; nil while running.
        var older: Slot?
        var newer: Slot?
    }

    public let maxEntries: Int
    public let maxBytes: Int
    public let retention: TimeInterval
    private let now: @Sendable () -> Date
    private var entries: [Slot: Entry] = [:]
    /// Least recently used finished entry: the next one to evict.
    private var oldest: Slot?
    private var newest: Slot?
    /// The sum of the finished entries' sizes.
    public private(set) var storedBytes = 0

    /// - Parameters:
    ///   - maxEntries: `server.idempotency_max_entries`.
    ///   - maxBytes: `server.idempotency_max_bytes`.
    ///   - now: the wall clock; tests pass their own to expire entries without waiting.
    public init(
        maxEntries: Int, maxBytes: Int = ServerConfig.defaultIdempotencyMaxBytes, retention: TimeInterval = defaultRetention,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        precondition(maxEntries >= 1, "maxEntries must be at least 1")
        precondition(maxBytes >= 1, "maxBytes must be at least 1")
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        self.retention = retention
        self.now = now
    }

    /// Keys held, running or finished (expired ones until they are looked up or evicted).
    public var count: Int { entries.count }

    /// Whether the key is held, without using it (tests, and waiting for a report to be stored).
    public func holdsReport(scope: String, key: String) -> Bool {
        guard case .finished? = entries[Slot(scope: scope, key: key)]?.state else { return false }
        return true
    }

    public func begin(scope: String, key: String, fingerprint: String) -> IdempotencyBegin {
        let slot = Slot(scope: scope, key: key)
        dropExpiredOldest()
        if let entry = entries[slot] {
            switch entry.state {
            case .finished(_, let storedAt) where isExpired(storedAt):
                remove(slot)
            case _ where entry.fingerprint != fingerprint:
                return .mismatch
            case .running:
                return .inProgress
            case .finished(let report, let storedAt):
                unlink(slot)
                linkNewest(slot)
                return .replay(report, storedAt: storedAt)
            }
        }
        entries[slot] = Entry(fingerprint: fingerprint, state: .running)
        evictOverflow()
        return .proceed
    }

    public func complete(scope: String, key: String, fingerprint: String, report: CancelReport) {
        let slot = Slot(scope: scope, key: key)
        if let entry = entries[slot] {
            // Only the request that `begin` let proceed completes its key.
            guard case .running = entry.state, entry.fingerprint == fingerprint else { return }
        }
        let size = report.jsonSize
        guard size <= maxBytes else {
            entries[slot] = nil
            return
        }
        entries[slot] = Entry(fingerprint: fingerprint, state: .finished(report, storedAt: now()), size: size)
        storedBytes += size
        linkNewest(slot)
        evictOverflow()
    }

    public func abandon(scope: String, key: String) {
        let slot = Slot(scope: scope, key: key)
        guard let entry = entries[slot], case .running = entry.state else { return }
        entries[slot] = nil
    }

    // MARK: Expiry and eviction

    private func isExpired(_ storedAt: Date) -> Bool {
        now().timeIntervalSince(storedAt) >= retention
    }

    /// Frees expired entries at the old end of the list. Expired entries elsewhere (used again
    /// recently, stored long ago) go when they are looked up or evicted.
    private func dropExpiredOldest() {
        while let slot = oldest, case .finished(_, let storedAt)? = entries[slot]?.state, isExpired(storedAt) {
            remove(slot)
        }
    }

    private func evictOverflow() {
        while entries.count > maxEntries || storedBytes > maxBytes, let slot = oldest {
            remove(slot)
        }
    }

    private func remove(_ slot: Slot) {
        unlink(slot)
        storedBytes -= entries[slot]?.size ?? 0
        entries[slot] = nil
    }

    // MARK: The finished list

    private func linkNewest(_ slot: Slot) {
        entries[slot]?.older = newest
        entries[slot]?.newer = nil
        if let newest { entries[newest]?.newer = slot } else { oldest = slot }
        newest = slot
    }

    /// A no-op for a running entry, which is not in the list.
    private func unlink(_ slot: Slot) {
        guard let entry = entries[slot], case .finished = entry.state else { return }
        if let older = entry.older { entries[older]?.newer = entry.newer } else { oldest = entry.newer }
        if let newer = entry.newer { entries[newer]?.older = entry.older } else { newest = entry.older }
        entries[slot]?.older = nil
        entries[slot]?.newer = nil
    }
}
