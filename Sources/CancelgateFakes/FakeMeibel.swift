import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Meibel (only its SDKs are public; BEHAVIOR.md's safe reading). Statuses: RUNNING, COMPLETED, FAILED,
// CANCELED, TERMINATED (free-form strings).
//   auth          Meibel-API-Key or Authorization: Bearer; missing/wrong → 401 {"message":"Invalid API key"}
//   unknown       → 404 {"detail":"Execution not found"}
//   not terminal  → becomes CANCELED; 200 BatchExecutionResponse with status CANCELED
//   terminal      → 200 BatchExecutionResponse with its status unchanged
//   stop delay    → (FakeState+Stops.swift) 200 with status RUNNING; CANCELED once the delay has passed
//   status        GET /batch-executions/id/{id} → 200 BatchExecutionResponse; unknown → 404 as above
// The ID is looked up exactly as percent-decoded, "/" included: unlike the FastAPI providers nothing
// is known about Meibel's routing, so this fake does not reject it.
extension FakeUpstreams {
    func addMeibelRoutes(to router: Router<FakeRequestContext>) {
        router.post("/meibel/v2/batch-executions/id/:id/cancel") { request, context in
            try await meibelCancel(request, context)
        }
        router.get("/meibel/v2/batch-executions/id/:id") { request, context in
            try await meibelStatus(request, context)
        }
    }

    private func meibelStatus(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let id = percentDecoded(context.parameters.get("id") ?? "")
        let authorized = meibelAuthorized(request)
        return try await serve(.meibel, request, context, ids: [id], authorized: authorized) {
            guard authorized else {
                return FakeResponse.json(401, .object([("message", .string("Invalid API key"))]))
            }
            guard let (status, ended) = await state.meibelRead(id) else {
                return FakeResponse.detail(404, "Execution not found")
            }
            return FakeResponse.json(200, Self.meibelExecution(id: id, status: status, ended: ended))
        }
    }

    private func meibelCancel(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let id = percentDecoded(context.parameters.get("id") ?? "")
        let authorized = meibelAuthorized(request)
        return try await serve(.meibel, request, context, ids: [id], authorized: authorized) {
            guard authorized else {
                return FakeResponse.json(401, .object([("message", .string("Invalid API key"))]))
            }
            guard let (status, changed) = await state.meibelCancel(id) else {
                return FakeResponse.detail(404, "Execution not found")
            }
            return FakeResponse.json(200, Self.meibelExecution(id: id, status: status, ended: changed ? Date() : nil))
        }
    }

    private func meibelAuthorized(_ request: Request) -> Bool {
        let key = request.headers[.meibelAPIKey] ?? request.bearerToken
        return key == credentials.meibelKey
    }

    /// A `BatchExecutionResponse` with its required fields and plausible optional ones.
    /// `ended`: when the run ended, if the fake knows (otherwise a final run ended ten minutes ago).
    private static func meibelExecution(id: String, status: String, ended: Date?) -> JSONValue {
        let now = Date()
        let running = !FakeState.meibelTerminal(status)
        let end: JSONValue = running ? .null : .string((ended ?? now.addingTimeInterval(-600)).formatted(.iso8601))
        return .object([
            ("id", .string(id)),
            ("batch_definition_id", .string("bdef_fake")),
            ("customer_id", .string("cust_fake")),
            ("project_id", .string("proj_fake")),
            ("agent_urn", .null), ("batch_spec_json", .null), ("agent_spec_json", .null),
            ("input_datasource_id", .null), ("output_datasource_id", .null), ("input_overrides", .null),
            ("total_items", .int(10)), ("succeeded", .int(4)), ("failed", .int(0)),
            ("start_time", .string(now.addingTimeInterval(-3600).formatted(.iso8601))),
            ("end_time", end),
            ("status", .string(status)),
            ("error", .null),
            ("items", .null),
        ])
    }
}

extension FakeState {
    static func meibelTerminal(_ status: String) -> Bool {
        ["COMPLETED", "FAILED", "CANCELED", "CANCELLED", "TERMINATED"].contains(status.uppercased())
    }

    /// The status answered and whether this call cancelled it; nil for an unknown execution.
    func meibelCancel(_ id: String) -> (status: String, changed: Bool)? {
        let wellFormed = !id.isEmpty && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }
        guard let status = lookup(.meibel, id, autoCreateAs: wellFormed ? "RUNNING" : nil) else { return nil }
        guard !Self.meibelTerminal(status) else { return (status, false) }
        if isStopping(.meibel, id) { return (status, false) }
        stop(.meibel, id, final: "CANCELED")
        let now = self.status(.meibel, id: id) ?? status
        return (now, Self.meibelTerminal(now))
    }

    /// The status and, for a final one, when it ended; nil for an unknown execution.
    func meibelRead(_ id: String) -> (status: String, ended: Date?)? {
        let wellFormed = !id.isEmpty && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }
        guard let status = lookup(.meibel, id, autoCreateAs: wellFormed ? "RUNNING" : nil) else { return nil }
        return (status, Self.meibelTerminal(status) ? endedAt(.meibel, id) : nil)
    }
}
