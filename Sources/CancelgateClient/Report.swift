/// One result as the gateway writes it (CONTRACT §3). `outcome` and `provider` stay strings, so
/// a gateway newer than this client still decodes.
public struct ResultItem: Sendable, Codable, Equatable {
    public struct ItemError: Sendable, Codable, Equatable {
        public var code: String
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var index: Int
    public var id: String
    public var upstream: String?
    public var provider: String?
    public var outcome: String
    public var retryable: Bool
    public var cancelledAt: String?
    public var httpStatus: Int?
    public var attempts: Int
    public var error: ItemError?

    public init(
        index: Int, id: String, upstream: String? = nil, provider: String? = nil, outcome: String, retryable: Bool = false,
        cancelledAt: String? = nil, httpStatus: Int? = nil, attempts: Int = 0, error: ItemError? = nil
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
    }

    enum CodingKeys: String, CodingKey {
        case index, id, upstream, provider, outcome, retryable
        case cancelledAt = "cancelled_at"
        case httpStatus = "http_status"
        case attempts, error
    }
}

/// Outcome words the client itself decides on.
public enum OutcomeWord {
    public static let cancelled = "cancelled"
    public static let cancelRequested = "cancel_requested"
    public static let alreadyTerminal = "already_terminal"
    public static let planned = "planned"
    /// Client-side only: the item's request was never answered (an earlier request failed).
    public static let notSent = "not_sent"
}

public struct ReportSummary: Sendable, Codable, Equatable {
    public var total: Int
    public var succeeded: Int
    public var failed: Int
    public var outcomes: [String: Int]

    /// The gateway's rule: `succeeded` = cancelled + cancel_requested; `failed` = the rest except
    /// already_terminal and planned (`not_sent` is a failure).
    public init(_ results: [ResultItem]) {
        var outcomes: [String: Int] = [:]
        for result in results { outcomes[result.outcome, default: 0] += 1 }
        let succeeded = (outcomes[OutcomeWord.cancelled] ?? 0) + (outcomes[OutcomeWord.cancelRequested] ?? 0)
        let neither = (outcomes[OutcomeWord.alreadyTerminal] ?? 0) + (outcomes[OutcomeWord.planned] ?? 0)
        self.total = results.count
        self.succeeded = succeeded
        self.failed = results.count - succeeded - neither
        self.outcomes = outcomes
    }
}

/// One element of a dry run's `plan`.
public struct PlannedCall: Sendable, Codable, Equatable {
    public var upstream: String
    public var provider: String
    public var method: String
    public var path: String
    public var ids: [String]
}

/// The body of one `200` answer to `POST /v1/cancel`.
public struct GatewayReport: Sendable, Codable, Equatable {
    public var requestID: String
    public var dryRun: Bool
    public var summary: ReportSummary
    public var results: [ResultItem]
    public var plan: [PlannedCall]?

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case dryRun = "dry_run"
        case summary, results, plan
    }
}

/// Every chunk's report as one, shaped like the gateway's (`request_ids` instead of
/// `request_id`): one result per input line, `index` its position in the whole input list.
public struct MergedReport: Sendable, Codable, Equatable {
    /// Set when a request failed: what failed, and which items were therefore not sent.
    public struct Failure: Sendable, Codable, Equatable {
        public var kind: String
        public var message: String
        /// 0-based chunk that failed, and how many there were.
        public var request: Int
        public var requests: Int
        public var notSent: Int

        public init(kind: String, message: String, request: Int, requests: Int, notSent: Int) {
            self.kind = kind
            self.message = message
            self.request = request
            self.requests = requests
            self.notSent = notSent
        }

        enum CodingKeys: String, CodingKey {
            case kind, message, request, requests
            case notSent = "not_sent"
        }
    }

    /// The answered requests' `request_id`s, in chunk order.
    public var requestIDs: [String]
    /// How many of them the gateway answered from its Idempotency-Key store (an earlier run's).
    public var replayedRequests: Int
    public var dryRun: Bool
    public var summary: ReportSummary
    public var results: [ResultItem]
    public var plan: [PlannedCall]?
    public var error: Failure?

    public init(
        requestIDs: [String], replayedRequests: Int, dryRun: Bool, summary: ReportSummary, results: [ResultItem], plan: [PlannedCall]?,
        error: Failure?
    ) {
        self.requestIDs = requestIDs
        self.replayedRequests = replayedRequests
        self.dryRun = dryRun
        self.summary = summary
        self.results = results
        self.plan = plan
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case requestIDs = "request_ids"
        case replayedRequests = "replayed_requests"
        case dryRun = "dry_run"
        case summary, results, plan, error
    }
}
