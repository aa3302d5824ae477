/// Every problem found in a `routes.json`, each with the JSON Pointer (RFC 6901) of the value at
/// fault. `ConfigLoader` reports all of them at once, so one edit-and-retry fixes the file.
///
/// No message ever carries a secret's value: secrets are named by their path, and a missing
/// `${VAR}` by the variable's name.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public struct Issue: Sendable, Equatable, CustomStringConvertible {
        /// JSON Pointer of the value at fault, e.g. `/upstreams/kubiya/batch_size`; `""` is the
        /// whole document (unreadable file, not JSON, not an object).
        public let path: String
        public let message: String

        public init(path: String, message: String) {
            self.path = path
            self.message = message
        }

        /// `/upstreams/kubiya/batch_size: must be an integer between 1 and 100`; the whole
        /// document shows as `(root)`.
        public var description: String {
            "\(path.isEmpty ? "(root)" : path): \(message)"
        }
    }

    public let issues: [Issue]

    public init(issues: [Issue]) {
        self.issues = issues
    }

    /// One line per issue.
    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}
