/// The JSON of a `CancelReport`, written in one pass into one byte array: the same bytes that
/// Foundation's `JSONEncoder` writes with `[.sortedKeys, .withoutEscapingSlashes]` (the gateway's
/// answer format), which `ReportJSONTests` checks over generated reports of every outcome, code
/// and awkward string. Foundation's encoder was 59 % of a 1,000-ID dry run's instructions
/// (callgrind); this writer knows the keys, their order and which are optional in advance.
///
/// Keys are written in sorted order by hand: adding a field to `ItemResult`, `Summary`,
/// `PlannedCall`, `ItemError` or `CancelReport` means adding it here, in its sorted place (the
/// differential test fails until then).
public struct ReportJSON {
    public private(set) var bytes: [UInt8] = []

    private init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    public static func encode(_ report: CancelReport) -> [UInt8] {
        // About 150 bytes a result, 80 an ID of the plan: one allocation in the usual case.
        let planIDs = report.plan?.reduce(0) { $0 + $1.ids.count } ?? 0
        var writer = ReportJSON(capacity: 256 + report.results.count * 192 + planIDs * 48)
        writer.write(report)
        return writer.bytes
    }

    /// One result, as the store keeps it in an item row (the same bytes as `JSONEncoder`'s).
    public static func encode(_ result: ItemResult) -> [UInt8] {
        var writer = ReportJSON(capacity: 192)
        writer.write(result)
        return writer.bytes
    }

    /// Results, as the store keeps a running record's provisional ones.
    public static func encode(_ results: [ItemResult]) -> [UInt8] {
        var writer = ReportJSON(capacity: 2 + results.count * 192)
        writer.array(results) { $0.write($1) }
        return writer.bytes
    }

    /// A summary, as the store keeps it beside a record or a job.
    public static func encode(_ summary: Summary) -> [UInt8] {
        var writer = ReportJSON(capacity: 128)
        writer.write(summary)
        return writer.bytes
    }

    private mutating func write(_ report: CancelReport) {
        raw("{\"dry_run\":")
        bool(report.dryRun)
        if let plan = report.plan {
            raw(",\"plan\":")
            array(plan) { $0.write($1) }
        }
        raw(",\"request_id\":")
        string(report.requestID)
        raw(",\"results\":")
        array(report.results) { $0.write($1) }
        raw(",\"summary\":")
        write(report.summary)
        byte(UInt8(ascii: "}"))
    }

    private mutating func write(_ result: ItemResult) {
        raw("{\"attempts\":")
        int(result.attempts)
        if let cancelledAt = result.cancelledAt {
            raw(",\"cancelled_at\":")
            string(cancelledAt)
        }
        if let confirmed = result.confirmed {
            raw(",\"confirmed\":")
            bool(confirmed)
        }
        if let error = result.error {
            raw(",\"error\":{\"code\":")
            string(error.code.rawValue)
            raw(",\"message\":")
            string(error.message)
            byte(UInt8(ascii: "}"))
        }
        if let httpStatus = result.httpStatus {
            raw(",\"http_status\":")
            int(httpStatus)
        }
        raw(",\"id\":")
        string(result.id)
        raw(",\"index\":")
        int(result.index)
        raw(",\"outcome\":")
        string(result.outcome.rawValue)
        if let provider = result.provider {
            raw(",\"provider\":")
            string(provider)
        }
        if let providerStatus = result.providerStatus {
            raw(",\"provider_status\":")
            string(providerStatus)
        }
        raw(",\"retryable\":")
        bool(result.retryable)
        if let upstream = result.upstream {
            raw(",\"upstream\":")
            string(upstream)
        }
        byte(UInt8(ascii: "}"))
    }

    private mutating func write(_ summary: Summary) {
        raw("{\"failed\":")
        int(summary.failed)
        raw(",\"outcomes\":{")
        for (position, key) in summary.outcomes.keys.sorted(by: Self.keyOrder).enumerated() {
            if position > 0 { byte(UInt8(ascii: ",")) }
            string(key)
            byte(UInt8(ascii: ":"))
            int(summary.outcomes[key] ?? 0)
        }
        raw("},\"succeeded\":")
        int(summary.succeeded)
        raw(",\"total\":")
        int(summary.total)
        byte(UInt8(ascii: "}"))
    }

    private mutating func write(_ call: PlannedCall) {
        raw("{\"ids\":")
        array(call.ids) { $0.string($1) }
        raw(",\"method\":")
        string(call.method)
        raw(",\"path\":")
        string(call.path)
        raw(",\"provider\":")
        string(call.provider)
        raw(",\"upstream\":")
        string(call.upstream)
        byte(UInt8(ascii: "}"))
    }

    /// The order `.sortedKeys` gives a dictionary's keys (outcome words: lower case and `_`).
    static func keyOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    // MARK: Values

    /// `[a,b,…]`, each element written by `element`.
    private mutating func array<Element>(_ elements: [Element], _ element: (inout ReportJSON, Element) -> Void) {
        byte(UInt8(ascii: "["))
        for (position, value) in elements.enumerated() {
            if position > 0 { byte(UInt8(ascii: ",")) }
            element(&self, value)
        }
        byte(UInt8(ascii: "]"))
    }

    private mutating func byte(_ value: UInt8) {
        bytes.append(value)
    }

    /// Text that needs no escaping (our own keys and punctuation).
    private mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func bool(_ value: Bool) {
        raw(value ? "true" : "false")
    }

    private mutating func int(_ value: Int) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
    }

    /// A JSON string as Foundation writes it: `"` and `\` escaped, `/` not (withoutEscapingSlashes),
    /// control characters as `\b \f \n \r \t` or `\u00XX`, everything else as its UTF-8.
    private mutating func string(_ text: String) {
        byte(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var start = 0
            for position in utf8.indices {
                let value = utf8[position]
                guard value < 0x20 || value == UInt8(ascii: "\"") || value == UInt8(ascii: "\\") else { continue }
                if start < position { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<position])) }
                start = position + 1
                byte(UInt8(ascii: "\\"))
                switch value {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte(value)
                case 0x08: byte(UInt8(ascii: "b"))
                case 0x0C: byte(UInt8(ascii: "f"))
                case 0x0A: byte(UInt8(ascii: "n"))
                case 0x0D: byte(UInt8(ascii: "r"))
                case 0x09: byte(UInt8(ascii: "t"))
                default:
                    raw("u00")
                    byte(Self.hex[Int(value >> 4)])
                    byte(Self.hex[Int(value & 0x0F)])
                }
            }
            if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        }
        byte(UInt8(ascii: "\""))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)
}
