import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Kubiya control plane (FastAPI + Temporal on PostgreSQL), as BEHAVIOR.md records it:
//   auth             missing → 401 "Authorization header is required"; wrong → 401 "Invalid or expired …"
//   body             not JSON → 422 json_invalid (before auth); bad shape → 422 HTTPValidationError
//   running/pending  → cancelled, success with workflow_id and terminated_at
//   other status     → "Cannot terminate workflow in status: <status>" (400 single); not idempotent
//   unknown UUID     → "Execution not found" (404 single)
//   non-UUID         → psycopg2 InvalidTextRepresentation, and every later item of that batch fails with
//                      InFailedSqlTransaction (500 generic detail in single mode)
//   ID holding "/"   → single route not matched: 404 {"detail":"Not Found"}
//   status           GET /api/v1/executions/{id} → 200 ExecutionResponse (id, status, completed_at…, "+00:00"
//                    timestamps); non-UUID → 500 "Failed to get execution: badly formed hexadecimal UUID string";
//                    unknown → 404 "Execution not found"
extension FakeUpstreams {
    func addKubiyaRoutes(to router: Router<FakeRequestContext>) {
        router.post("/kubiya/api/v1/executions/batch/terminate") { request, context in
            try await kubiyaBatch(request, context)
        }
        router.post("/kubiya/api/v1/executions/:id/terminate") { request, context in
            try await kubiyaSingle(request, context)
        }
        router.get("/kubiya/api/v1/executions/:id") { request, context in
            try await kubiyaStatus(request, context)
        }
    }

    private func kubiyaStatus(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let id = percentDecoded(context.parameters.get("id") ?? "")
        let refusal = kubiyaRefusal(request)
        return try await serve(.kubiya, request, context, ids: [id], authorized: refusal == nil) {
            if id.contains("/") { return FakeResponse.starletteNotFound() }
            if let refusal { return refusal }
            guard let uuid = KubiyaUUID.canonical(id) else {
                return FakeResponse.detail(500, "Failed to get execution: badly formed hexadecimal UUID string")
            }
            guard let status = await state.lookup(.kubiya, uuid, autoCreateAs: "running") else {
                return FakeResponse.detail(404, "Execution not found")
            }
            let created = Date().addingTimeInterval(-3600)
            let ended: Date? = ["completed", "failed", "cancelled", "interrupted"].contains(status)
                ? await state.endedAt(.kubiya, uuid) ?? created.addingTimeInterval(600) : nil
            return FakeResponse.json(200, .object([
                ("id", .string(uuid)), ("organization_id", .string("org_fake")), ("execution_type", .string("AGENT")),
                ("status", .string(status)), ("error_message", .null),
                ("created_at", .string(KubiyaUUID.timestamp(created, zone: "+00:00"))), ("started_at", .string(KubiyaUUID.timestamp(created, zone: "+00:00"))),
                ("completed_at", ended.map { .string(KubiyaUUID.timestamp($0, zone: "+00:00")) } ?? .null),
                ("updated_at", .string(KubiyaUUID.timestamp(ended ?? Date(), zone: "+00:00"))),
            ]))
        }
    }

    private func kubiyaBatch(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let bytes = try await body(of: request, context)
        let parsed = JSONValue.parse(bytes)
        let ids = parsed?["execution_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let refusal = kubiyaRefusal(request)
        return try await serve(.kubiya, request, context, ids: ids, authorized: refusal == nil) {
            if !bytes.isEmpty, parsed == nil { return FakeResponse.jsonInvalid() }
            if let refusal { return refusal }
            var errors = FastAPIValidation.body(parsed)
            if let parsed, errors.isEmpty {
                errors = FastAPIValidation.stringList(parsed, field: "execution_ids", minItems: 1, maxItems: 100)
                    + FastAPIValidation.string(parsed, field: "reason", maxLength: 500)
            }
            guard errors.isEmpty else { return FakeResponse.validation(errors) }
            let results = await state.kubiyaTerminateBatch(ids)
            let succeeded = results.filter(\.success).count
            return FakeResponse.json(
                200,
                .object([
                    ("total_requested", .int(results.count)), ("total_succeeded", .int(succeeded)),
                    ("total_failed", .int(results.count - succeeded)), ("results", .array(results.map(\.json))),
                ])
            )
        }
    }

    private func kubiyaSingle(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let id = percentDecoded(context.parameters.get("id") ?? "")
        let bytes = try await body(of: request, context)
        let parsed = JSONValue.parse(bytes)
        let refusal = kubiyaRefusal(request)
        return try await serve(.kubiya, request, context, ids: [id], authorized: refusal == nil) {
            if id.contains("/") { return FakeResponse.starletteNotFound() }
            if !bytes.isEmpty, parsed == nil { return FakeResponse.jsonInvalid() }
            if let refusal { return refusal }
            var errors = FastAPIValidation.body(parsed)
            if let parsed, errors.isEmpty {
                errors = FastAPIValidation.string(parsed, field: "reason", maxLength: 500)
            }
            guard errors.isEmpty else { return FakeResponse.validation(errors) }
            guard let uuid = KubiyaUUID.canonical(id) else {
                return FakeResponse.detail(500, "An unexpected error occurred while terminating execution")
            }
            switch await state.kubiyaTerminate(uuid) {
            case .terminated(let workflowID, let at):
                return FakeResponse.json(200, .object([("success", .bool(true)), ("workflow_id", .string(workflowID)), ("terminated_at", .string(at))]))
            case .notFound:
                return FakeResponse.detail(404, "Execution not found")
            case .badStatus(let status):
                return FakeResponse.detail(400, "Cannot terminate workflow in status: \(status)")
            }
        }
    }

    private func kubiyaRefusal(_ request: Request) -> Response? {
        let message: String
        let hint: String
        if request.headers[.authorization] == nil {
            message = "Authorization header is required"
            hint = "Include 'Authorization: Bearer <token>' header"
        } else if request.bearerToken != credentials.kubiyaToken {
            message = "Invalid or expired authentication token"
            hint = "Please obtain a new token or check your API key"
        } else {
            return nil
        }
        let detail: JSONValue = .object([("error", .string("Unauthorized")), ("message", .string(message)), ("hint", .string(hint))])
        return FakeResponse.json(401, .object([("detail", detail)]))
    }
}

enum KubiyaOutcome {
    case terminated(workflowID: String, at: String)
    case notFound
    case badStatus(String)
}

/// One item of a batch answer; always written with all five keys.
struct KubiyaItem {
    var id: String
    var success: Bool
    var workflowID: String?
    var error: String?
    var terminatedAt: String?

    var json: JSONValue {
        .object([
            ("execution_id", .string(id)), ("success", .bool(success)), ("workflow_id", .optional(workflowID)),
            ("error", .optional(error)), ("terminated_at", .optional(terminatedAt)),
        ])
    }
}

extension FakeState {
    func kubiyaTerminate(_ uuid: String) -> KubiyaOutcome {
        guard let status = lookup(.kubiya, uuid, autoCreateAs: "running") else { return .notFound }
        guard status == "running" || status == "pending" else { return .badStatus(status) }
        setStatus(.kubiya, uuid, "cancelled", countsAsCancellation: true)
        return .terminated(workflowID: "agent-execution-\(uuid)", at: KubiyaUUID.timestamp(Date()))
    }

    /// In input order, no de-duplication; one non-UUID aborts the shared SQL transaction for the rest.
    func kubiyaTerminateBatch(_ ids: [String]) -> [KubiyaItem] {
        var poisoned = false
        return ids.map { id in
            if poisoned { return KubiyaItem(id: id, success: false, error: KubiyaUUID.inFailedTransaction(id)) }
            guard let uuid = KubiyaUUID.canonical(id) else {
                poisoned = true
                return KubiyaItem(id: id, success: false, error: KubiyaUUID.invalidText(id))
            }
            switch kubiyaTerminate(uuid) {
            case .terminated(let workflowID, let at):
                return KubiyaItem(id: id, success: true, workflowID: workflowID, terminatedAt: at)
            case .notFound:
                return KubiyaItem(id: id, success: false, error: "Execution not found")
            case .badStatus(let status):
                return KubiyaItem(id: id, success: false, error: "Cannot terminate workflow in status: \(status)")
            }
        }
    }
}
