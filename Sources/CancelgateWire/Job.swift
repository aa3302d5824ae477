public import Foundation

/// A job's `state` (CONTRACT §6).
public struct JobState: RawRepresentable, Sendable, Hashable, Codable {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Accepted, not yet claimed by a runner (or handed back by one that shut down).
    public static let queued = JobState(rawValue: "queued")
    /// A runner holds its lease and works through its chunks.
    public static let running = JobState(rawValue: "running")
    /// Every item has its final result.
    public static let completed = JobState(rawValue: "completed")
    /// Stopped by `POST /v1/jobs/{id}/cancel`: items never sent are `failed`, `job_cancelled`.
    public static let cancelled = JobState(rawValue: "cancelled")

    public static let all: [JobState] = [.queued, .running, .completed, .cancelled]

    public var isFinished: Bool { self == .completed || self == .cancelled }
}

/// A job as `GET /v1/jobs/{job_id}` shows it (CONTRACT §6). Times are milliseconds since 1970
/// here and RFC 3339 on the wire; the runner's bookkeeping (lease, position) is the store's own.
public struct Job: Sendable, Equatable {
    public var jobID: String
    public var state: JobState
    public var caller: String?
    public var reason: String
    /// Upstream calls per second for this job, all upstreams together; nil: only the upstreams' own limits.
    public var ratePerSecond: Double?
    public var createdAtMs: Int64
    public var startedAtMs: Int64?
    public var finishedAtMs: Int64?
    public var total: Int
    /// Items that have their final result; never goes down.
    public var done: Int
    /// §3's summary over the done items.
    public var summary: Summary

    public init(
        jobID: String, state: JobState, caller: String?, reason: String, ratePerSecond: Double?, createdAtMs: Int64, startedAtMs: Int64? = nil,
        finishedAtMs: Int64? = nil, total: Int, done: Int = 0, summary: Summary? = nil
    ) {
        self.jobID = jobID
        self.state = state
        self.caller = caller
        self.reason = reason
        self.ratePerSecond = ratePerSecond
        self.createdAtMs = createdAtMs
        self.startedAtMs = startedAtMs
        self.finishedAtMs = finishedAtMs
        self.total = total
        self.done = done
        self.summary = summary ?? Summary([])
    }
}

extension Job: Codable {
    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case state, caller, reason
        case ratePerSecond = "rate_per_second"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case total, done, summary
    }

    /// Nulls are written out (`"finished_at": null`), as the contract lists the fields.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(jobID, forKey: .jobID)
        try container.encode(state, forKey: .state)
        try container.encode(caller, forKey: .caller)
        try container.encode(reason, forKey: .reason)
        try container.encode(ratePerSecond, forKey: .ratePerSecond)
        try container.encode(RecordTime.format(createdAtMs), forKey: .createdAt)
        try container.encode(startedAtMs.map(RecordTime.format), forKey: .startedAt)
        try container.encode(finishedAtMs.map(RecordTime.format), forKey: .finishedAt)
        try container.encode(total, forKey: .total)
        try container.encode(done, forKey: .done)
        try container.encode(summary, forKey: .summary)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func time(_ key: CodingKeys) throws -> Int64? { try container.decodeTimeIfPresent(forKey: key) }
        self.init(
            jobID: try container.decode(String.self, forKey: .jobID), state: try container.decode(JobState.self, forKey: .state),
            caller: try container.decodeIfPresent(String.self, forKey: .caller), reason: try container.decode(String.self, forKey: .reason),
            ratePerSecond: try container.decodeIfPresent(Double.self, forKey: .ratePerSecond), createdAtMs: try time(.createdAt) ?? 0,
            startedAtMs: try time(.startedAt), finishedAtMs: try time(.finishedAt), total: try container.decode(Int.self, forKey: .total),
            done: try container.decode(Int.self, forKey: .done), summary: try container.decode(Summary.self, forKey: .summary))
    }
}

extension Summary {
    /// This summary and another over disjoint results, as one (a job's done items, chunk by chunk).
    public func adding(_ other: Summary) -> Summary {
        Summary(
            total: total + other.total, succeeded: succeeded + other.succeeded, failed: failed + other.failed,
            outcomes: outcomes.merging(other.outcomes, uniquingKeysWith: +))
    }
}
