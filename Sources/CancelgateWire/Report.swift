/// One entry of `results`, in request order (CONTRACT §3).
public struct ItemResult: Sendable, Codable, Equatable {
    public var index: Int
    public var id: String
    public var upstream: String?
    /// The provider's name (`kubiya`, `skyvern`, `meibel`, `c1`).
    public var provider: String?
    public var outcome: Outcome
    public var retryable: Bool
    public var cancelledAt: String?
    public var httpStatus: Int?
    public var attempts: Int
    public var error: ItemError?
    /// Confirmed cancellation only (CONTRACT §7): whether a status read showed the run ended.
    public var confirmed: Bool?
    /// The provider's own status word, when a status read decided or confirmed this result.
    public var providerStatus: String?

    public init(
        index: Int, id: String, upstream: String? = nil, provider: String? = nil, outcome: Outcome, retryable: Bool = false,
        cancelledAt: String? = nil, httpStatus: Int? = nil, attempts: Int = 0, error: ItemError? = nil, confirmed: Bool? = nil,
        providerStatus: String? = nil
    ) {
        self.index = index
        self.id = id
        self.upstream = upstream
        self.provider = provider
        self.outcome = outcome
        self.retryable = retryable
        self.cancelledAt = cancelledAt
        self.httpStatus = httpStatus
        self.attempts = attempts
        self.error = error
        self.confirmed = confirmed
        self.providerStatus = providerStatus
    }

    enum CodingKeys: String, CodingKey {
        case index, id, upstream, provider, outcome, retryable
        case cancelledAt = "cancelled_at"
        case httpStatus = "http_status"
        case attempts, error, confirmed
        case providerStatus = "provider_status"
    }
}

public struct Summary: Sendable, Codable, Equatable {
    public var total: Int
    public var succeeded: Int
    public var failed: Int
    /// Only outcomes that occurred, by their wire name.
    public var outcomes: [String: Int]

    public init(total: Int, succeeded: Int, failed: Int, outcomes: [String: Int]) {
        self.total = total
        self.succeeded = succeeded
        self.failed = failed
        self.outcomes = outcomes
    }

    /// The one summary rule (CONTRACT §3), for the gateway's reports and the client's merged
    /// ones: `succeeded` counts cancelled + cancel_requested; `failed` the rest except
    /// already_terminal and planned.
    public init(_ results: [ItemResult]) {
        var outcomes: [String: Int] = [:]
        for result in results { outcomes[result.outcome.rawValue, default: 0] += 1 }
        self.init(
            total: results.count, succeeded: results.count { $0.outcome.isSuccess }, failed: results.count { $0.outcome.isFailure },
            outcomes: outcomes)
    }
}

/// One element of a dry run's `plan`: one upstream call.
public struct PlannedCall: Sendable, Codable, Equatable {
    public var upstream: String
    public var provider: String
    public var method: String
    public var path: String
    public var ids: [String]

    public init(upstream: String, provider: String, method: String, path: String, ids: [String]) {
        self.upstream = upstream
        self.provider = provider
        self.method = method
        self.path = path
        self.ids = ids
    }
}

/// The body of a `200` answer to `POST /v1/cancel`.
public struct CancelReport: Sendable, Codable, Equatable {
    public var requestID: String
    public var dryRun: Bool
    public var summary: Summary
    public var results: [ItemResult]
    public var plan: [PlannedCall]?

    public init(requestID: String, dryRun: Bool, summary: Summary, results: [ItemResult], plan: [PlannedCall]?) {
        self.requestID = requestID
        self.dryRun = dryRun
        self.summary = summary
        self.results = results
        self.plan = plan
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case dryRun = "dry_run"
        case summary, results, plan
    }
}
