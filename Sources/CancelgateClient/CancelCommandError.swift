/// Why `cancelgate cancel` could not do (all of) its work. Every kind exits with status 2: the
/// command's per-item outcomes (status 0 or 1) are only meaningful when every request was answered.
public struct CancelCommandError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The command line or its input: no IDs, an unreadable file, a bad URL, a request the gateway refused (4xx).
        case usage
        /// The gateway wants a token (401): none in CANCELGATE_TOKEN, or not one it knows.
        case unauthorized
        /// No answer, or one that is not the gateway's: refused connection, timeout, not JSON.
        case connection
        /// The gateway answered with a server error (5xx), or a request with the same key is still running (409).
        case server
        /// The awaiting task was cancelled (Ctrl-C in a caller that handles it).
        case cancelled
    }

    public let kind: Kind
    /// One or more sentences for people. Never contains the token.
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var exitCode: Int32 { 2 }

    public var description: String { message }
}
