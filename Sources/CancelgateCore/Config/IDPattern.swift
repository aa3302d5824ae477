internal import Foundation

/// A compiled route regex. Matching searches the whole ID (JSON Schema `pattern` semantics):
/// anchor with `^…$` to match it entirely.
// unchecked Sendable: NSRegularExpression is immutable after init and documented thread-safe;
// `expression` is a `let` and never mutated.
public struct IDPattern: @unchecked Sendable {
    public let source: String
    private let expression: NSRegularExpression
    /// The pattern read as `^[class]{min,max}$` over ASCII, when it is only that (the shape of
    /// most route regexes): matched on the UTF-8 bytes without ICU and NSString bridging
    /// (about 5 % of a dry run). IDPatternTests compares both ways.
    private let run: ClassRun?

    /// Returns nil when `source` is not a valid regular expression.
    public init?(_ source: String) {
        guard let expression = try? NSRegularExpression(pattern: source) else { return nil }
        self.source = source
        self.expression = expression
        self.run = ClassRun(source)
    }

    public func matches(_ id: String) -> Bool {
        if let run, let verdict = run.verdict(id) { return verdict }
        return matchesByRegex(id)
    }

    func matchesByRegex(_ id: String) -> Bool {
        let range = NSRange(id.startIndex..<id.endIndex, in: id)
        return expression.firstMatch(in: id, range: range) != nil
    }

    var hasFastPath: Bool { run != nil }

    /// `^[…]{m}$`, `^[…]{m,n}$`, `^[…]+$` or `^[…]*$`, the class made of ASCII letters, digits,
    /// `_` and `-` (last, literal) and ranges between letters or digits; nil for anything else.
    struct ClassRun: Sendable {
        var allowed = [Bool](repeating: false, count: 128)
        var minimum: Int
        var maximum: Int

        init?(_ source: String) {
            var bytes = Array(source.utf8)
            guard bytes.count >= 6, bytes.removeFirst() == UInt8(ascii: "^"), bytes.removeLast() == UInt8(ascii: "$"),
                bytes.first == UInt8(ascii: "["), let close = bytes.firstIndex(of: UInt8(ascii: "]"))
            else { return nil }
            var members = Array(bytes[1..<close])
            let quantifier = Array(bytes[(close + 1)...])
            guard !members.isEmpty else { return nil }
            func plain(_ byte: UInt8) -> Bool {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
            }
            if members.last == UInt8(ascii: "-") {
                allowed[Int(UInt8(ascii: "-"))] = true
                members.removeLast()
            }
            var position = 0
            while position < members.count {
                let low = members[position]
                guard plain(low) else { return nil }
                if position + 2 < members.count, members[position + 1] == UInt8(ascii: "-") {
                    let high = members[position + 2]
                    guard plain(high), low <= high, Self.sameKind(low, high) else { return nil }
                    for byte in low...high { allowed[Int(byte)] = true }
                    position += 3
                } else {
                    guard position + 1 >= members.count || members[position + 1] != UInt8(ascii: "-") else { return nil }
                    allowed[Int(low)] = true
                    position += 1
                }
            }
            switch quantifier {
            case [UInt8(ascii: "+")]: (minimum, maximum) = (1, Int.max)
            case [UInt8(ascii: "*")]: (minimum, maximum) = (0, Int.max)
            default:
                guard quantifier.first == UInt8(ascii: "{"), quantifier.last == UInt8(ascii: "}") else { return nil }
                let inside = String(decoding: quantifier.dropFirst().dropLast(), as: UTF8.self)
                let bounds = inside.split(separator: ",", omittingEmptySubsequences: false)
                guard bounds.count <= 2, bounds.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
                    let low = Int(bounds[0]), let high = bounds.count == 2 ? Int(bounds[1]) : low, low <= high, high <= 10_000
                else { return nil }
                (minimum, maximum) = (low, high)
            }
        }

        static func sameKind(_ low: UInt8, _ high: UInt8) -> Bool {
            for range in [UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9")]
            where range.contains(low) {
                return range.contains(high)
            }
            return false
        }

        /// Whether `id` matches; nil when it has a control character or non-ASCII text, which the
        /// regex decides (ICU's `$` also matches before a final line terminator, and counts UTF-16).
        func verdict(_ id: String) -> Bool? {
            var matches = true
            for byte in id.utf8 {
                if byte < 0x20 || byte >= 0x80 { return nil }
                if !allowed[Int(byte)] { matches = false }
            }
            return matches && id.utf8.count >= minimum && id.utf8.count <= maximum
        }
    }
}
