/// A configured credential. It prints as `<redacted>` and is deliberately not `Encodable`,
/// so it can reach neither a log line nor a JSON response by accident.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The real value, for the one place that puts it on the wire.
    public let revealed: String

    public init(_ value: String) { self.revealed = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
