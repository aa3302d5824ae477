/// One entry of `results`, in request order.
public struct ItemResult: Sendable, Codable, Equatable {
    public var index: Int
    public var id: String
    public var upstream: String?
    public var provider: ProviderKind?
    public var outcome: Outcome
    public var retryable: Bool
    public var cancelledAt: String?
    public var httpStatus: Int?
    public var attempts: Int
    public var error: ItemError?

    enum CodingKeys: String, CodingKey {
        case index, id, upstream, provider, outcome, retryable
        case cancelledAt = "cancelled_at"
        case httpStatus = "http_status"
        case attempts, error
    }
}

public struct Summary: Sendable, Codable, Equatable {
    public var total: Int
    public var succeeded: Int
    public var failed: Int
    /// Only outcomes that occurred, by their wire name.
    public var outcomes: [String: Int]
}

/// One element of a dry run's `plan`: one upstream call.
public struct PlannedCall: Sendable, Codable, Equatable {
    public var upstream: String
    public var provider: ProviderKind
    public var method: String
    public var path: String
    public var ids: [String]
}

/// The body of a `200` answer to `POST /v1/cancel`.
public struct CancelReport: Sendable, Codable, Equatable {
    public var requestID: String
    public var dryRun: Bool
    public var summary: Summary
    public var results: [ItemResult]
    public var plan: [PlannedCall]?

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case dryRun = "dry_run"
        case summary, results, plan
    }
}
