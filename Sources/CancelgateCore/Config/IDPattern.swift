internal import Foundation

/// A compiled route regex. Matching searches the whole ID (JSON Schema `pattern` semantics):
/// anchor with `^…$` to match it entirely.
// unchecked Sendable: NSRegularExpression is immutable after init and documented thread-safe;
// `expression` is a `let` and never mutated.
public struct IDPattern: @unchecked Sendable {
    public let source: String
    private let expression: NSRegularExpression

    /// Returns nil when `source` is not a valid regular expression.
    public init?(_ source: String) {
        guard let expression = try? NSRegularExpression(pattern: source) else { return nil }
        self.source = source
        self.expression = expression
    }

    public func matches(_ id: String) -> Bool {
        let range = NSRange(id.startIndex..<id.endIndex, in: id)
        return expression.firstMatch(in: id, range: range) != nil
    }
}
