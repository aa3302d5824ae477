internal import CancelgateCore
internal import CancelgateWire
internal import Foundation
internal import Hummingbird
internal import Logging

/// `GET /v1/cancels/{request_id}` and `GET /v1/cancels?…` (CONTRACT §5): the audit trail. A
/// client sees its own records, an admin (or anyone, without `clients`) all; another caller's
/// record is a 404, never its contents.
struct RecordsController: Sendable {
    static let queryParameters: Set<String> = ["id", "upstream", "caller", "outcome", "since", "until", "limit", "cursor"]
    /// A read that the store does not answer in this time is a 503, not a hung request.
    static let readTimeout: Duration = .seconds(5)

    let keeper: RecordKeeper

    func addRoutes(to group: RouterGroup<GatewayContext>) {
        group.get("cancels", use: list)
        group.get("cancels/{request_id}", use: show)
    }

    @Sendable func show(_ request: Request, context: GatewayContext) async throws -> Response {
        let requestID = context.parameters.get("request_id") ?? ""
        let store = keeper.store
        let record = try await read(context) { try await store.record(requestID: requestID) }
        guard let record, Self.visibility(context).allows(record) else {
            throw Problem(.notFound, type: "not-found", title: "Not found", detail: "No record of a request with this ID is visible to you.")
        }
        return try Self.json(record)
    }

    @Sendable func list(_ request: Request, context: GatewayContext) async throws -> Response {
        let query = try Self.query(request.uri.queryParameters, visibility: Self.visibility(context))
        let store = keeper.store
        let page = try await read(context) { try await store.records(query) }
        return try Self.json(ListPage(key: "cancels", items: page.records, nextCursor: page.next?.token))
    }

    /// A page of a list: `{"<key>": [...], "next_cursor": "…" | null}` (the null written out, as
    /// the contract lists the field). Records, jobs and a job's results all answer one.
    struct ListPage<Element: Encodable>: Encodable {
        let key: String
        let items: [Element]
        let nextCursor: String?

        struct Key: CodingKey {
            let stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(items, forKey: Key(stringValue: key))
            try container.encode(nextCursor, forKey: Key(stringValue: "next_cursor"))
        }
    }

    static func visibility(_ context: GatewayContext) -> RecordVisibility {
        guard let caller = context.caller, !context.isAdmin else { return .all }
        return .caller(caller)
    }

    /// Reads the store, or answers 503 when it cannot.
    private func read<T: Sendable>(_ context: GatewayContext, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await StoreAccess.bounded(
            context, metrics: keeper.metrics, timeout: Self.readTimeout, operation: "read",
            detail: "The record store did not answer; cancels are still served and recorded once it is back. Try again shortly.",
            storeKind: keeper.store.kind, body)
    }

    /// The query string, checked: every problem names its parameter (`/query/<name>`).
    static func query(_ parameters: Parameters, visibility: RecordVisibility) throws(Problem) -> RecordQuery {
        var errors: [Problem.FieldError] = []
        func fail(_ name: String, _ message: String) { errors.append(.init(pointer: "/query/\(name)", message: message)) }
        var seen: [String: String] = [:]
        for (name, value) in parameters {
            let name = String(name)
            if !queryParameters.contains(name) {
                fail(name, "unknown parameter; allowed: \(queryParameters.sorted().joined(separator: ", "))")
            } else if seen[name] != nil {
                fail(name, "given more than once")
            }
            seen[name] = String(value)
        }
        var query = RecordQuery(visibility: visibility)
        func text(_ name: String) -> String? {
            guard let value = seen[name] else { return nil }
            if value.isEmpty { fail(name, "must not be empty") }
            return value.isEmpty ? nil : value
        }
        query.runID = text("id")
        query.upstream = text("upstream")
        query.caller = text("caller")
        if let outcome = text("outcome") {
            if let known = Outcome.allCases.first(where: { $0.rawValue == outcome }) {
                query.outcome = known
            } else {
                fail("outcome", "unknown outcome; one of: \(Outcome.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        for name in ["since", "until"] {
            guard let value = text(name) else { continue }
            guard let ms = RecordTime.parse(value) else {
                fail(name, "must be an RFC 3339 time, e.g. 2026-12-02T10:00:00Z")
                continue
            }
            if name == "since" { query.sinceMs = ms } else { query.untilMs = ms }
        }
        if let value = text("limit") {
            if let limit = Int(value), RecordQuery.limits.contains(limit) {
                query.limit = limit
            } else {
                fail("limit", "must be an integer from \(RecordQuery.limits.lowerBound) to \(RecordQuery.limits.upperBound)")
            }
        }
        if let value = text("cursor") {
            if let cursor = RecordCursor(token: value) { query.after = cursor } else { fail("cursor", "is not a cursor this gateway gave; use next_cursor as it came") }
        }
        guard errors.isEmpty else { throw .invalid(errors) }
        return query
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

extension RecordVisibility {
    func allows(_ record: CancelRecord) -> Bool {
        switch self {
        case .all: true
        case .caller(let name): record.caller == name
        }
    }
}
