/// What is true of a run now, by a status read (CONTRACT §7): one of a fixed set of words. A
/// struct, not an enum, for the reason `Outcome` is one.
public struct RunState: RawRepresentable, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// Not ended: queued, pending, created, paused, waiting… count as running.
    public static let running = RunState("running")
    /// Ended by a cancellation.
    public static let cancelled = RunState("cancelled")
    /// Ended otherwise: completed, failed, timed out, errored.
    public static let ended = RunState("ended")
    public static let notFound = RunState("not_found")
    public static let forbidden = RunState("forbidden")
    public static let invalid = RunState("invalid")
    public static let unroutable = RunState("unroutable")
    /// The status could not be read, or is a word cancelgate does not know (`error` says which).
    public static let unknown = RunState("unknown")

    public static let allCases: [RunState] = [.running, .cancelled, .ended, .notFound, .forbidden, .invalid, .unroutable, .unknown]

    public var description: String { rawValue }

    /// The run will not change any more (`cancelled` or `ended`).
    public var isFinal: Bool { self == .cancelled || self == .ended }
}

/// One entry of a status report's `results`, in request order.
public struct StatusResult: Sendable, Codable, Equatable {
    public var index: Int
    public var id: String
    public var upstream: String?
    public var provider: String?
    public var state: RunState
    /// The provider's own word, verbatim; nil when nothing was read.
    public var providerStatus: String?
    /// When the run ended, as the provider wrote it.
    public var endedAt: String?
    public var httpStatus: Int?
    public var attempts: Int
    public var retryable: Bool
    public var error: ItemError?

    public init(
        index: Int, id: String, upstream: String? = nil, provider: String? = nil, state: RunState, providerStatus: String? = nil,
        endedAt: String? = nil, httpStatus: Int? = nil, attempts: Int = 0, retryable: Bool = false, error: ItemError? = nil
    ) {
        self.index = index
        self.id = id
        self.upstream = upstream
        self.provider = provider
        self.state = state
        self.providerStatus = providerStatus
        self.endedAt = endedAt
        self.httpStatus = httpStatus
        self.attempts = attempts
        self.retryable = retryable
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case index, id, upstream, provider, state
        case providerStatus = "provider_status"
        case endedAt = "ended_at"
        case httpStatus = "http_status"
        case attempts, retryable, error
    }
}

public struct StatusSummary: Sendable, Codable, Equatable {
    public var total: Int
    /// Only states that occurred, by their wire name.
    public var states: [String: Int]

    public init(total: Int, states: [String: Int]) {
        self.total = total
        self.states = states
    }

    public init(_ results: [StatusResult]) {
        var states: [String: Int] = [:]
        for result in results { states[result.state.rawValue, default: 0] += 1 }
        self.init(total: results.count, states: states)
    }
}

/// The body of a `200` answer to `POST /v1/status`.
public struct StatusReport: Sendable, Codable, Equatable {
    public var requestID: String
    public var summary: StatusSummary
    public var results: [StatusResult]

    public init(requestID: String, summary: StatusSummary, results: [StatusResult]) {
        self.requestID = requestID
        self.summary = summary
        self.results = results
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case summary, results
    }
}
