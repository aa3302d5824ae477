/// The short form `cancelgate fakes --fault` takes: `provider=kind[:arg[:arg]][@id,id…]`.
extension FaultRuleDocument {
    /// Shown with `--fault` and with a spec error.
    public static let specHelp = """
        provider=kind[:arg[:arg]][@id,…] with kind one of: latency:MS[:P], error:STATUS[:P], \
        rate_limit[:RETRY_AFTER[:P]], hang[:P], close_before_body[:P], close_after_body[:P], garbage[:P], \
        slow_body[:INTERVAL_MS[:CHUNK_BYTES]], cancel_then_close[:P]. P is a probability from 0 to 1 (default 1); \
        RETRY_AFTER is seconds or an HTTP-date; @ids limits the fault to calls naming those IDs. \
        Examples: kubiya=error:503:0.2, skyvern=rate_limit:1, meibel=latency:200, c1=close_after_body@839265
        """

    /// Reads a spec such as `kubiya=error:503:0.2`; `resolved()` then checks the values.
    public init(spec: String) throws(FaultSpecError) {
        guard let equals = spec.firstIndex(of: "="), equals != spec.startIndex else {
            throw FaultSpecError("\"\(spec)\" is not of the form provider=kind[:arg[:arg]]")
        }
        var rest = String(spec[spec.index(after: equals)...])
        var ids: [String]?
        if let at = rest.lastIndex(of: "@") {
            ids = rest[rest.index(after: at)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            rest = String(rest[..<at])
        }
        let kind = String(rest.prefix { $0 != ":" })
        let arguments = rest.count > kind.count ? String(rest.dropFirst(kind.count + 1)) : nil
        self.init(provider: String(spec[..<equals]), fault: kind)
        self.ids = ids
        try read(arguments, for: FaultKind(rawValue: kind), in: spec)
    }

    private mutating func read(_ arguments: String?, for kind: FaultKind?, in spec: String) throws(FaultSpecError) {
        guard let arguments else { return }
        switch kind {
        case .rateLimit:
            (retryAfter, probability) = try Self.retryAfterAndProbability(arguments, in: spec)
        case .latency:
            let (first, second) = try Self.split(arguments, in: spec)
            latencyMs = try Self.number(first, in: spec)
            probability = try second.map { (text) throws(FaultSpecError) in try Self.probability(text, in: spec) }
        case .error:
            let (first, second) = try Self.split(arguments, in: spec)
            status = try Self.number(first, in: spec)
            probability = try second.map { (text) throws(FaultSpecError) in try Self.probability(text, in: spec) }
        case .slowBody:
            let (first, second) = try Self.split(arguments, in: spec)
            latencyMs = try Self.number(first, in: spec)
            chunkBytes = try second.map { (text) throws(FaultSpecError) in try Self.number(text, in: spec) }
        case .hang, .closeBeforeBody, .closeAfterBody, .garbage, .cancelThenClose:
            probability = try Self.probability(arguments, in: spec)
        case nil:
            break  // resolved() names the unknown kind
        }
    }

    /// An HTTP-date holds colons itself, so the whole argument is tried as a Retry-After first.
    private static func retryAfterAndProbability(_ arguments: String, in spec: String) throws(FaultSpecError) -> (String, Double?) {
        if RetryAfter(arguments) != nil { return (arguments, nil) }
        guard let colon = arguments.lastIndex(of: ":") else { return (arguments, nil) }
        return (String(arguments[..<colon]), try probability(String(arguments[arguments.index(after: colon)...]), in: spec))
    }

    private static func split(_ arguments: String, in spec: String) throws(FaultSpecError) -> (String, String?) {
        let parts = arguments.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count <= 2 else { throw FaultSpecError("too many arguments in \"\(spec)\"") }
        return (parts[0], parts.count == 2 ? parts[1] : nil)
    }

    private static func number(_ text: String, in spec: String) throws(FaultSpecError) -> Int {
        guard let value = Int(text) else { throw FaultSpecError("\"\(text)\" is not a whole number in \"\(spec)\"") }
        return value
    }

    private static func probability(_ text: String, in spec: String) throws(FaultSpecError) -> Double {
        guard let value = Double(text), value.isFinite else { throw FaultSpecError("\"\(text)\" is not a probability in \"\(spec)\"") }
        return value
    }
}
