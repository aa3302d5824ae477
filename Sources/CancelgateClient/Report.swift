public import CancelgateWire

/// The client's own words: the item's request was never answered (an earlier request of the run
/// failed), so it was not sent. Never in a gateway's report; a failure by the summary rule.
extension Outcome {
    public static let notSent = Outcome(rawValue: "not_sent")
}

extension ErrorCode {
    public static let notSent = ErrorCode(rawValue: "not_sent")
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
    public var summary: Summary
    public var results: [ItemResult]
    public var plan: [PlannedCall]?
    public var error: Failure?

    public init(
        requestIDs: [String], replayedRequests: Int, dryRun: Bool, summary: Summary, results: [ItemResult], plan: [PlannedCall]?,
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
