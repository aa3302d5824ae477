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
        if let body = plain(data, maxItems: maxItems, kind: kind) { return body }
        return try checked(data, maxItems: maxItems, kind: kind)
    }

    /// The usual body, decoded in one pass into typed fields (no tree of JSONValue: a quarter of
    /// a large request's parsing). Nil for anything that breaks a rule or has an unexpected key
    /// or type: `checked` then reads it again and reports every problem with its pointer.
    /// BodyParsingTests compares both ways.
    static func plain(_ data: Data, maxItems: Int, kind: Kind) -> CancelBody? {
        guard let body = try? JSONDecoder().decode(Plain.self, from: data), body.keys.allSatisfy(kind.topLevelKeys.contains),
            body.ids != nil || body.items != nil
        else { return nil }
        let total = (body.ids?.count ?? 0) + (body.items?.count ?? 0)
        guard total > 0, total <= maxItems, body.reason.map(reasonIsValid) ?? true, body.upstream?.isEmpty != true,
            body.ratePerSecond.map(rateIsValid) ?? true, body.items?.allSatisfy({ $0.upstream?.isEmpty != true }) ?? true
        else { return nil }
        var entries: [CancelEntry] = []
        entries.reserveCapacity(total)
        for id in body.ids ?? [] { entries.append(CancelEntry(id: id)) }
        for item in body.items ?? [] { entries.append(CancelEntry(id: item.id, upstream: item.upstream)) }
        return CancelBody(
            reason: body.reason, upstream: body.upstream, entries: entries, confirm: kind == .cancel ? body.confirm : nil,
            ratePerSecond: body.ratePerSecond)
    }

    static func reasonIsValid(_ reason: String) -> Bool {
        !reason.isEmpty && reason.unicodeScalars.count <= maxReasonLength
    }

    static func rateIsValid(_ rate: Double) -> Bool {
        rate > 0 && rate <= maxRatePerSecond
    }

    /// The body's fields with their JSON types; decoding fails on a wrong type, a `null`, or an
    /// item key other than `id` and `upstream`. `keys`: every top-level key present.
    struct Plain: Decodable {
        var keys: [String]
        var ids: [String]?
        var items: [Item]?
        var reason: String?
        var upstream: String?
        var confirm: Bool?
        var ratePerSecond: Double?

        struct Item: Decodable {
            var id: String
            var upstream: String?

            init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: AnyKey.self)
                guard container.allKeys.allSatisfy({ CancelBody.itemKeys.contains($0.stringValue) }) else { throw Unexpected() }
                id = try container.decode(String.self, forKey: AnyKey("id"))
                upstream = try Plain.optional(String.self, container, "upstream")
            }
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            keys = container.allKeys.map(\.stringValue)
            ids = try Self.optional([String].self, container, "ids")
            items = try Self.optional([Item].self, container, "items")
            reason = try Self.optional(String.self, container, "reason")
            upstream = try Self.optional(String.self, container, "upstream")
            confirm = try Self.optional(Bool.self, container, "confirm")
            ratePerSecond = try Self.optional(Double.self, container, "rate_per_second")
        }

        /// Absent is nil; present, it must have type `T` (an explicit `null` is refused here and
        /// reported by `checked`).
        static func optional<T: Decodable>(_ type: T.Type, _ container: KeyedDecodingContainer<AnyKey>, _ name: String) throws -> T? {
            let key = AnyKey(name)
            guard container.contains(key) else { return nil }
            return try container.decode(T.self, forKey: key)
        }

        struct Unexpected: Error {}
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The body read as a JSON tree, every rule checked with a pointer to what breaks it.
    static func checked(_ data: Data, maxItems: Int, kind: Kind) throws(Problem) -> CancelBody {
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
        case .number(let value) where rateIsValid(value): rate = value
        case .number: errors.append(.init(pointer: "/rate_per_second", message: "must be more than 0 and at most \(Int(maxRatePerSecond))"))
        case .some(let other): errors.append(.init(pointer: "/rate_per_second", message: "must be a number, not \(other.typeName)"))
        }
        let reason = string(object["reason"], at: "/reason", errors: &errors)
        // Counted in Unicode scalars, as the providers' (Python) validators count: an emoji with a
        // skin tone is one Character but two scalars, and Kubiya refuses a whole batch over 500.
        if let reason, !reasonIsValid(reason) {
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
