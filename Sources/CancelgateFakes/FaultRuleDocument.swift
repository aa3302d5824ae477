/// A fault rule as JSON: the body of `POST /_admin/faults`, an entry of `GET /_admin/faults` (with `times` as
/// what is left), and what a `cancelgate fakes --fault` spec becomes. `resolved()` is the one place it is checked.
///
///     {"provider":"kubiya","fault":"error","status":503,"probability":0.2,"ids":["…"],"times":1}
///     {"provider":"skyvern","fault":"rate_limit","retry_after":"2"}       (or an HTTP-date)
///     {"provider":"meibel","fault":"latency","latency_ms":200}
///     {"provider":"c1","fault":"slow_body","latency_ms":50,"chunk_bytes":16}   (both optional)
public struct FaultRuleDocument: Codable, Sendable, Equatable {
    public var provider: String
    public var fault: String
    /// `error` only: the status to answer, 400–599.
    public var status: Int?
    public var probability: Double?
    public var ids: [String]?
    public var times: Int?
    /// `rate_limit` only: seconds or an HTTP-date (a JSON number is taken as seconds).
    public var retryAfter: String?
    /// `latency`: the delay (required); `slow_body`: the wait between chunks.
    public var latencyMs: Int?
    /// `slow_body` only.
    public var chunkBytes: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case provider, fault, status, probability, ids, times
        case retryAfter = "retry_after"
        case latencyMs = "latency_ms"
        case chunkBytes = "chunk_bytes"
    }

    static let defaultSlowChunkBytes = 16
    static let defaultSlowIntervalMs = 50

    public init(provider: String, fault: String) {
        self.provider = provider
        self.fault = fault
    }

    /// Synthesised decoding ignores unknown keys; here a misspelt key is an error rather than silently unused.
    public init(from decoder: any Decoder) throws {
        let names = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        if let unknown = names.first(where: { CodingKeys(rawValue: $0) == nil }) {
            let known = CodingKeys.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorrupted(.init(codingPath: [AnyKey(unknown)], debugDescription: "unknown key \"\(unknown)\"; known keys: \(known)"))
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        provider = try container.decode(String.self, forKey: .provider)
        fault = try container.decode(String.self, forKey: .fault)
        status = try container.decodeIfPresent(Int.self, forKey: .status)
        probability = try container.decodeIfPresent(Double.self, forKey: .probability)
        ids = try container.decodeIfPresent([String].self, forKey: .ids)
        times = try container.decodeIfPresent(Int.self, forKey: .times)
        if let seconds = try? container.decodeIfPresent(Int.self, forKey: .retryAfter) {
            retryAfter = String(seconds)
        } else {
            retryAfter = try container.decodeIfPresent(String.self, forKey: .retryAfter)
        }
        latencyMs = try container.decodeIfPresent(Int.self, forKey: .latencyMs)
        chunkBytes = try container.decodeIfPresent(Int.self, forKey: .chunkBytes)
    }

    /// The document of an installed rule (IDs sorted).
    public init(provider: FakeProvider, rule: FaultRule) {
        self.init(provider: provider.rawValue, fault: rule.fault.kind.rawValue)
        probability = rule.probability
        ids = rule.ids?.sorted()
        times = rule.times
        switch rule.fault {
        case .status(let code): status = code
        case .rateLimited(let value): retryAfter = value?.description
        case .latency(let delay): latencyMs = delay.wholeMilliseconds
        case .slowBody(let chunk, let interval): (chunkBytes, latencyMs) = (chunk, interval.wholeMilliseconds)
        case .hang, .garbage, .closeConnection, .closeAfterBody, .cancelThenClose: break
        }
    }

    /// The provider and rule this document asks for, or what is wrong with it.
    public func resolved() throws(FaultSpecError) -> (provider: FakeProvider, rule: FaultRule) {
        guard let provider = FakeProvider(rawValue: provider) else {
            throw FaultSpecError("unknown provider \"\(self.provider)\"; expected one of \(Self.list(FakeProvider.allCases.map(\.rawValue)))")
        }
        guard let kind = FaultKind(rawValue: fault) else {
            throw FaultSpecError("unknown fault \"\(fault)\"; expected one of \(Self.list(FaultKind.allCases.map(\.rawValue)))")
        }
        let probability = probability ?? 1
        guard (0...1).contains(probability) else { throw FaultSpecError("\"probability\" must be between 0 and 1") }
        if let times, times < 1 { throw FaultSpecError("\"times\" must be at least 1") }
        if let ids, ids.isEmpty || ids.contains("") { throw FaultSpecError("\"ids\" must be a non-empty list of non-empty IDs") }
        let rule = FaultRule(try fault(kind), ids: ids.map(Set.init), probability: probability, times: times)
        return (provider, rule)
    }

    private func fault(_ kind: FaultKind) throws(FaultSpecError) -> FakeFault {
        try refuse(.status, unless: kind == .error)
        try refuse(.retryAfter, unless: kind == .rateLimit)
        try refuse(.latencyMs, unless: kind == .latency || kind == .slowBody)
        try refuse(.chunkBytes, unless: kind == .slowBody)
        switch kind {
        case .error:
            guard let status, (400...599).contains(status) else { throw FaultSpecError("\"error\" needs a \"status\" from 400 to 599") }
            return .status(status)
        case .rateLimit:
            guard let retryAfter else { return .rateLimited(retryAfter: nil) }
            guard let value = RetryAfter(retryAfter) else {
                throw FaultSpecError("\"retry_after\" must be whole seconds or an HTTP-date like \"Wed, 21 Oct 2026 07:28:00 GMT\"")
            }
            return .rateLimited(retryAfter: value)
        case .latency:
            guard let latencyMs, (0...600_000).contains(latencyMs) else { throw FaultSpecError("\"latency\" needs \"latency_ms\" from 0 to 600000") }
            return .latency(.milliseconds(latencyMs))
        case .slowBody:
            let interval = latencyMs ?? Self.defaultSlowIntervalMs
            let chunk = chunkBytes ?? Self.defaultSlowChunkBytes
            guard (0...600_000).contains(interval), chunk >= 1 else {
                throw FaultSpecError("\"slow_body\" needs \"latency_ms\" from 0 to 600000 and \"chunk_bytes\" of at least 1")
            }
            return .slowBody(chunkBytes: chunk, interval: .milliseconds(interval))
        case .hang: return .hang
        case .closeBeforeBody: return .closeConnection
        case .closeAfterBody: return .closeAfterBody
        case .garbage: return .garbage
        case .cancelThenClose: return .cancelThenClose
        }
    }

    private func refuse(_ key: CodingKeys, unless applies: Bool) throws(FaultSpecError) {
        let present: Bool =
            switch key {
            case .status: status != nil
            case .retryAfter: retryAfter != nil
            case .latencyMs: latencyMs != nil
            case .chunkBytes: chunkBytes != nil
            default: false
            }
        if present, !applies { throw FaultSpecError("\"\(key.rawValue)\" does not apply to \"\(fault)\"") }
    }

    private static func list(_ names: [String]) -> String {
        names.joined(separator: ", ")
    }
}

/// Why a fault rule (admin JSON or `--fault` spec) was refused; `description` is a sentence for people.
public struct FaultSpecError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

struct AnyKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }

    init(_ string: String) {
        stringValue = string
    }

    init?(stringValue: String) {
        self.stringValue = stringValue
    }

    init?(intValue: Int) {
        nil
    }
}
