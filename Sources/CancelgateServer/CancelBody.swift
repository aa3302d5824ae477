internal import CancelgateCore
internal import Foundation

/// The `/v1/cancel` body, read and checked by us rather than `Request.decode`, which reports
/// every failure as 400: the contract needs 400 for unreadable JSON and 422 with JSON Pointers
/// for valid JSON that breaks a rule.
struct CancelBody {
    static let maxReasonLength = 500
    static let maxUpstreamNameLength = 64
    static let itemKeys: Set<String> = ["id", "upstream"]

    /// `/v1/cancel`'s body, `/v1/status`'s (the same without `reason` and `confirm`, §7), or
    /// `/v1/jobs`'s (with `rate_per_second` instead of `confirm`, §6).
    enum Kind {
        case cancel, status, job

        var topLevelKeys: [String] {
            switch self {
            case .cancel: ["confirm", "ids", "items", "reason", "upstream"]
            case .status: ["ids", "items", "upstream"]
            case .job: ["ids", "items", "rate_per_second", "reason", "upstream"]
            }
        }
    }

    /// `rate_per_second`: more than 0, at most this (the upstreams' own `rate_limit` bound).
    static let maxRatePerSecond = 100_000.0

    var reason: String?
    var upstream: String?
    var entries: [CancelEntry]
    var confirm: Bool?
    var ratePerSecond: Double?

    static func parse(_ data: Data, maxItems: Int, kind: Kind = .cancel) throws(Problem) -> CancelBody {
        let document: JSONValue
        do {
            document = try JSONValue.parse(data)
        } catch {
            throw .unreadableJSON("The request body is not valid JSON.")
        }
        guard case .object(let object) = document else {
            throw .invalid([.init(pointer: "", message: "must be a JSON object with `ids` and/or `items`")])
        }
        var errors = FieldErrorList()
        for key in object.keys.sorted() where !kind.topLevelKeys.contains(key) {
            errors.append(
                .init(pointer: JSONPointer.appending("", key), message: "unknown field; allowed: \(kind.topLevelKeys.joined(separator: ", "))"))
        }
        var confirm: Bool?
        switch object["confirm"] {
        case nil: break
        case .bool(let flag): confirm = flag
        case .some(let other): errors.append(.init(pointer: "/confirm", message: "must be true or false, not \(other.typeName)"))
        }
        var rate: Double?
        switch object["rate_per_second"] {
        case nil: break
        case .number(let value) where value > 0 && value <= maxRatePerSecond: rate = value
        case .number: errors.append(.init(pointer: "/rate_per_second", message: "must be more than 0 and at most \(Int(maxRatePerSecond))"))
        case .some(let other): errors.append(.init(pointer: "/rate_per_second", message: "must be a number, not \(other.typeName)"))
        }
        let reason = string(object["reason"], at: "/reason", errors: &errors)
        // Counted in Unicode scalars, as the providers' (Python) validators count: an emoji with a
        // skin tone is one Character but two scalars, and Kubiya refuses a whole batch over 500.
        if let reason, reason.isEmpty || reason.unicodeScalars.count > maxReasonLength {
            errors.append(
                .init(pointer: "/reason", message: "must be 1 to \(maxReasonLength) Unicode code points (got \(reason.unicodeScalars.count))"))
        }
        let upstream = string(object["upstream"], at: "/upstream", errors: &errors)
        if let upstream, upstream.isEmpty {
            errors.append(.init(pointer: "/upstream", message: "must not be empty"))
        }
        // Counts first: a body of too many entries is one error, not one per entry.
        let ids = array(object["ids"], at: "/ids", errors: &errors)
        let items = array(object["items"], at: "/items", errors: &errors)
        let total = (ids?.count ?? 0) + (items?.count ?? 0)
        var entries: [CancelEntry] = []
        if object["ids"] == nil && object["items"] == nil {
            errors.append(.init(pointer: "", message: "needs `ids` or `items` with at least one entry"))
        } else if total == 0 {
            errors.append(.init(pointer: object["ids"] != nil ? "/ids" : "/items", message: "must name at least one ID"))
        } else if total > maxItems {
            let limit = kind == .job ? "at most \(maxItems) per job" : "at most \(maxItems) per request"
            errors.append(.init(pointer: object["items"] != nil && object["ids"] == nil ? "/items" : "/ids", message: "names \(total) IDs; \(limit)"))
        } else {
            for (index, value) in (ids ?? []).enumerated() {
                if let id = string(value, at: "/ids/\(index)", errors: &errors) { entries.append(CancelEntry(id: id)) }
            }
            for (index, value) in (items ?? []).enumerated() {
                if let entry = item(value, at: "/items/\(index)", errors: &errors) { entries.append(entry) }
            }
        }
        guard errors.isEmpty else { throw .invalid(errors) }
        return CancelBody(reason: reason, upstream: upstream, entries: entries, confirm: kind == .cancel ? confirm : nil, ratePerSecond: rate)
    }

    private static func string(_ value: JSONValue?, at pointer: String, errors: inout FieldErrorList) -> String? {
        switch value {
        case nil: return nil
        case .string(let text): return text
        case .some(let other):
            errors.append(.init(pointer: pointer, message: "must be a string, not \(other.typeName)"))
            return nil
        }
    }

    private static func array(_ value: JSONValue?, at pointer: String, errors: inout FieldErrorList) -> [JSONValue]? {
        switch value {
        case nil: return nil
        case .array(let elements): return elements
        case .some(let other):
            errors.append(.init(pointer: pointer, message: "must be an array, not \(other.typeName)"))
            return nil
        }
    }

    private static func item(_ value: JSONValue, at pointer: String, errors: inout FieldErrorList) -> CancelEntry? {
        guard case .object(let object) = value else {
            errors.append(.init(pointer: pointer, message: "must be an object like {\"id\": \"…\"}, not \(value.typeName)"))
            return nil
        }
        for key in object.keys.sorted() where !itemKeys.contains(key) {
            errors.append(.init(pointer: JSONPointer.appending(pointer, key), message: "unknown field; allowed: id, upstream"))
        }
        guard object["id"] != nil else {
            errors.append(.init(pointer: pointer + "/id", message: "is required"))
            return nil
        }
        let id = string(object["id"], at: pointer + "/id", errors: &errors)
        let upstream = string(object["upstream"], at: pointer + "/upstream", errors: &errors)
        if let upstream, upstream.isEmpty {
            errors.append(.init(pointer: pointer + "/upstream", message: "must not be empty"))
        }
        return id.map { CancelEntry(id: $0, upstream: upstream) }
    }
}
