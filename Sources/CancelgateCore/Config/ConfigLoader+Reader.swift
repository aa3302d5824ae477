internal import Foundation

/// A JSON object being read, with the JSON Pointer it sits at.
struct ConfigObject {
    let path: String
    let members: [String: JSONValue]

    subscript(key: String) -> JSONValue? { members[key] }

    func path(_ key: String) -> String { JSONPointer.appending(path, key) }
}

/// Walks a `routes.json` tree, collecting every problem as a `ConfigError.Issue` instead of
/// stopping at the first. Readers return nil (or the default) for a value they reported.
struct ConfigReader {
    let environment: [String: String]
    private(set) var issues: [ConfigError.Issue] = []

    init(environment: [String: String]) {
        self.environment = environment
    }

    mutating func report(_ path: String, _ message: String) {
        issues.append(.init(path: path, message: message))
    }

    // MARK: Containers

    mutating func object(_ value: JSONValue, at path: String) -> ConfigObject? {
        guard case .object(let members) = value else {
            report(path, "must be an object, not \(value.article)")
            return nil
        }
        return ConfigObject(path: path, members: members)
    }

    /// The object at `path`, after reporting each key outside `allowed`.
    mutating func object(_ value: JSONValue, at path: String, allowed: [String]) -> ConfigObject? {
        guard let object = object(value, at: path) else { return nil }
        rejectUnknownKeys(object, allowed: allowed)
        return object
    }

    mutating func rejectUnknownKeys(_ object: ConfigObject, allowed: [String], context: String = "") {
        for key in object.members.keys.sorted() where !allowed.contains(key) {
            report(object.path(key), "unknown key \"\(key)\"; allowed\(context): \(allowed.joined(separator: ", "))")
        }
    }

    mutating func array(_ value: JSONValue, at path: String) -> [JSONValue]? {
        guard case .array(let elements) = value else {
            report(path, "must be an array, not \(value.article)")
            return nil
        }
        return elements
    }

    // MARK: Strings

    /// The string at `key`, `${VAR}`s expanded. Absent: nil, reported only when `required`.
    mutating func string(_ object: ConfigObject, _ key: String, required: Bool = false, nonEmpty: Bool = false) -> String? {
        guard let value = object[key] else {
            if required { report(object.path(key), "is required") }
            return nil
        }
        return string(value, at: object.path(key), nonEmpty: nonEmpty)
    }

    mutating func string(_ value: JSONValue, at path: String, nonEmpty: Bool = false) -> String? {
        guard case .string(let raw) = value else {
            report(path, "must be a string, not \(value.article)")
            return nil
        }
        guard let expanded = expand(raw, at: path) else { return nil }
        if nonEmpty && expanded.isEmpty {
            report(path, raw.isEmpty ? "must not be empty" : "must not be empty (its environment variable is empty)")
            return nil
        }
        return expanded
    }

    /// A required credential. Its messages name the path only, never the value.
    mutating func secret(_ object: ConfigObject, _ key: String, headerSafe: Bool = false) -> Secret? {
        guard let value = string(object, key, required: true, nonEmpty: true) else { return nil }
        if headerSafe && value.contains(where: { $0.isNewline || $0 == "\0" }) {
            report(object.path(key), "must not contain line breaks or NUL: it is sent in an HTTP header")
            return nil
        }
        return Secret(value)
    }

    /// Replaces each `${NAME}` from `environment`; nil after reporting every unset or malformed
    /// reference. The raw text is never quoted: it may be a secret.
    mutating func expand(_ raw: String, at path: String) -> String? {
        guard raw.contains("${") else { return raw }
        var result = ""
        var rest = raw[...]
        var complete = true
        while let open = rest.range(of: "${") {
            result += rest[..<open.lowerBound]
            let tail = rest[open.upperBound...]
            guard let close = tail.firstIndex(of: "}"), Self.isVariableName(tail[..<close]) else {
                report(path, "malformed environment variable reference: write ${NAME}, NAME made of letters, digits and underscores")
                return nil
            }
            let name = String(tail[..<close])
            if let value = environment[name] {
                result += value
            } else {
                report(path, "environment variable \(name) is not set")
                complete = false
            }
            rest = tail[tail.index(after: close)...]
        }
        result += rest
        return complete ? result : nil
    }

    static func isVariableName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.isASCIILetter else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0.isASCIILetter || ("0"..."9").contains($0) }
    }

    // MARK: Numbers

    /// The boolean at `key`: `defaultValue` when absent, nil after reporting a wrong type.
    mutating func bool(_ object: ConfigObject, _ key: String, default defaultValue: Bool) -> Bool? {
        guard let value = object[key] else { return defaultValue }
        guard case .bool(let flag) = value else {
            report(object.path(key), "must be true or false, not \(value.article)")
            return nil
        }
        return flag
    }

    /// The integer at `key`: `defaultValue` when absent, nil after reporting a wrong type or range.
    mutating func int(_ object: ConfigObject, _ key: String, in range: ClosedRange<Int>, default defaultValue: Int) -> Int? {
        guard let value = object[key] else { return defaultValue }
        guard case .number = value else {
            report(object.path(key), "must be \(Self.describe(range)), not \(value.article)")
            return nil
        }
        guard let number = value.intValue, range.contains(number) else {
            report(object.path(key), "must be \(Self.describe(range))")
            return nil
        }
        return number
    }

    static func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max
            ? "an integer of at least \(range.lowerBound)"
            : "an integer between \(range.lowerBound) and \(range.upperBound)"
    }
}

extension JSONValue {
    /// "a string", "an object": for "must be an integer, not a string".
    var article: String {
        switch self {
        case .null: "null"
        case .array, .object: "an \(typeName)"
        default: "a \(typeName)"
        }
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
