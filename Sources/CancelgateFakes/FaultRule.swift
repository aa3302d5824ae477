/// Fault names as written in `/_admin/faults` and in `cancelgate fakes --fault`.
public enum FaultKind: String, Sendable, CaseIterable, Codable {
    case latency
    case error
    case rateLimit = "rate_limit"
    case hang
    case closeBeforeBody = "close_before_body"
    case closeAfterBody = "close_after_body"
    case garbage
    case slowBody = "slow_body"
    case cancelThenClose = "cancel_then_close"
}

extension FakeFault {
    public var kind: FaultKind {
        switch self {
        case .status: .error
        case .rateLimited: .rateLimit
        case .latency: .latency
        case .hang: .hang
        case .garbage: .garbage
        case .closeConnection: .closeBeforeBody
        case .closeAfterBody: .closeAfterBody
        case .slowBody: .slowBody
        case .cancelThenClose: .cancelThenClose
        }
    }
}

extension FakeFault: CustomStringConvertible {
    public var description: String {
        switch self {
        case .status(let status): "error \(status)"
        case .rateLimited(let retryAfter): "rate_limit 429" + (retryAfter.map { " Retry-After: \($0)" } ?? "")
        case .latency(let delay): "latency \(delay.wholeMilliseconds) ms"
        case .slowBody(let chunk, let interval): "slow_body \(chunk) bytes every \(interval.wholeMilliseconds) ms"
        default: kind.rawValue
        }
    }
}

/// One injected fault and the calls it applies to. A provider's rules are tried in order, rules naming an ID of the
/// call before provider-wide ones; the first that matches, has calls left and wins its draw is applied.
public struct FaultRule: Sendable, Equatable, CustomStringConvertible {
    public var fault: FakeFault
    /// nil: every cancel and status call of the provider; otherwise calls naming any of these IDs (exactly as named in the call).
    public var ids: Set<String>?
    /// The chance, from 0 to 1, that a matching call gets the fault, drawn per call from `FakeState`'s seeded generator.
    public var probability: Double
    /// How many more matching calls get the fault; nil: no limit. The rule goes away when it reaches 0.
    public var times: Int?

    public init(_ fault: FakeFault, ids: Set<String>? = nil, probability: Double = 1, times: Int? = nil) {
        self.fault = fault
        self.ids = ids
        self.probability = probability
        self.times = times
    }

    /// e.g. `error 503, probability 0.3, calls naming tsk_1, 1 more time`.
    public var description: String {
        var parts = [fault.description]
        if probability < 1 { parts.append("probability \(probability)") }
        if let ids { parts.append("calls naming " + ids.sorted().joined(separator: ", ")) }
        if let times { parts.append(times == 1 ? "1 more time" : "\(times) more times") }
        return parts.joined(separator: ", ")
    }
}

extension Duration {
    /// Whole milliseconds, rounded down.
    var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
