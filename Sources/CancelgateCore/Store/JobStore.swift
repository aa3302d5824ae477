public import CancelgateWire

/// One entry of a job's list, as submitted (CONTRACT §6).
public struct JobEntry: Sendable, Equatable {
    /// Position in the job's list, from 0.
    public var index: Int
    public var id: String
    /// The `upstream` the caller named, if any.
    public var upstream: String?
    /// The earlier entry naming the same (upstream, run): this one is never sent and gets that
    /// one's result (with its own index and spelling). Nil for first occurrences and for
    /// entries decided without a call (invalid, unroutable).
    public var firstIndex: Int?

    public init(index: Int, id: String, upstream: String?, firstIndex: Int? = nil) {
        self.index = index
        self.id = id
        self.upstream = upstream
        self.firstIndex = firstIndex
    }
}

/// What submitting a job did.
public enum JobCreation: Sendable, Equatable {
    case created(Job)
    /// The same `Idempotency-Key` and body as an earlier job: that job.
    case replay(Job)
    /// The key was used for another body.
    case mismatch
}

/// An `Idempotency-Key` on `POST /v1/jobs`: the job it names is created with it, atomically.
public struct JobKey: Sendable, Equatable {
    public var scope: String
    public var key: String
    public var fingerprint: String

    public init(scope: String, key: String, fingerprint: String) {
        self.scope = scope
        self.key = key
        self.fingerprint = fingerprint
    }
}

/// A runner's hold on a job (CONTRACT §6): while `leaseUntilMs` is ahead, no other runner takes it.
public struct JobLease: Sendable, Equatable {
    public var job: Job
    public var owner: String
    public var requestID: String
    /// Entries below this index have their results committed.
    public var nextIndex: Int
    /// The indexes of the chunk that was in flight when the lease was last held: after a
    /// takeover, their items are in doubt.
    public var inFlight: ClosedRange<Int>?
    public var cancelRequested: Bool
    /// True when the job was claimed before (a runner whose lease expired, or one that handed
    /// it back at shutdown), not fresh from the queue.
    public var takenOver: Bool
    /// The upstreams the job's caller may use (nil: callers are not authenticated).
    public var allowedUpstreams: Set<String>?

    public init(
        job: Job, owner: String, requestID: String, nextIndex: Int, inFlight: ClosedRange<Int>?, cancelRequested: Bool, takenOver: Bool,
        allowedUpstreams: Set<String>? = nil
    ) {
        self.job = job
        self.owner = owner
        self.requestID = requestID
        self.nextIndex = nextIndex
        self.inFlight = inFlight
        self.cancelRequested = cancelRequested
        self.takenOver = takenOver
        self.allowedUpstreams = allowedUpstreams
    }
}

/// `GET /v1/jobs?state=&limit=&cursor=`, checked.
public struct JobQuery: Sendable, Equatable {
    public static let defaultLimit = 50
    public static let limits = 1...500

    public var state: JobState?
    public var limit: Int
    /// Jobs strictly older (in list order) than this one: `(created_at, job ID)` of the last shown.
    public var after: RecordCursor?
    public var visibility: RecordVisibility

    public init(state: JobState? = nil, limit: Int = defaultLimit, after: RecordCursor? = nil, visibility: RecordVisibility = .all) {
        self.state = state
        self.limit = limit
        self.after = after
        self.visibility = visibility
    }
}

public struct JobPage: Sendable, Equatable {
    public var jobs: [Job]
    public var next: RecordCursor?

    public init(jobs: [Job], next: RecordCursor?) {
        self.jobs = jobs
        self.next = next
    }
}

/// Where jobs and their results live (CONTRACT §6): SQLite or PostgreSQL. Every write that a
/// runner makes names its lease and does nothing once the lease is another runner's, so a job
/// never has two runners; a result is written only where none is, so no item has two.
public protocol JobStore: Sendable {
    /// Creates the job, its entries and (in the same transaction) its key.
    func createJob(_ job: Job, entries: [JobEntry], requestID: String, allowedUpstreams: Set<String>?, key: JobKey?) async throws -> JobCreation

    func job(_ jobID: String, visibility: RecordVisibility) async throws -> Job?
    func jobs(_ query: JobQuery) async throws -> JobPage
    /// Jobs that are queued or running (for the metrics' gauge), by state.
    func activeJobCounts() async throws -> [JobState: Int]

    /// Takes the oldest job that is queued, or running with its lease ended before `nowMs`,
    /// for `owner` until `leaseUntilMs`; nil when there is none.
    func claimJob(owner: String, nowMs: Int64, leaseUntilMs: Int64) async throws -> JobLease?
    /// Extends the lease and records the chunk about to be sent (nil: none). False when the
    /// lease is no longer this runner's. `cancelRequested` on the lease is refreshed.
    func renewJob(_ lease: inout JobLease, leaseUntilMs: Int64, inFlight: ClosedRange<Int>?) async throws -> Bool

    /// Entries from `index` on that still need sending (first occurrences without a result), in
    /// order, at most `limit`.
    func pendingEntries(jobID: String, from index: Int, limit: Int) async throws -> [JobEntry]
    /// Entries from `index` on without a result (any kind), in order, at most `limit`.
    func unfinishedEntries(jobID: String, from index: Int, limit: Int) async throws -> [JobEntry]

    /// Writes `results` where an item has none, copies each to the entries that duplicate it,
    /// moves the job's position to `nextIndex`, clears the chunk in flight and adds to `done`
    /// and the summary; all in one transaction. False (and nothing written) when the lease is
    /// no longer this runner's.
    func commitResults(_ results: [ItemResult], lease: inout JobLease, nextIndex: Int, nowMs: Int64) async throws -> Bool
    /// Ends the job (`completed` or `cancelled`) and its lease.
    func finishJob(_ lease: JobLease, state: JobState, nowMs: Int64) async throws -> Bool
    /// Hands the job back (graceful shutdown): queued again, lease released, in-flight chunk kept.
    func releaseJob(_ lease: JobLease) async throws

    /// Marks the job to be stopped; returns it (nil: unknown or not visible).
    func requestJobCancel(_ jobID: String, visibility: RecordVisibility) async throws -> Job?
    /// Results in index order with index > `afterIndex`, at most `limit`.
    func jobResults(jobID: String, outcome: Outcome?, afterIndex: Int, limit: Int) async throws -> [ItemResult]
}
