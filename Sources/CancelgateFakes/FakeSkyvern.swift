import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// Skyvern (open source run_service.py), as BEHAVIOR.md records it. Statuses: created, queued, running,
// completed, failed, terminated, canceled, timed_out, plus the seed-only webhook_failure (the run is
// cancelled, but the webhook call after it fails).
//   auth                missing x-api-key → 403 "Invalid credentials"; wrong → 403 "Could not validate credentials"
//   bulk                de-duplicated, both lists in completion order (shuffled, never input order)
//   v1 task tsk_<n>     created/queued/running → cancelled; completed/failed/terminated → failed (single 400
//                       "… from <s> to canceled for <id>"); canceled → failed (single 400 "… already canceled")
//   wr_<n>, tsk_v2_<n>  running → cancelled; already ended → cancelled too, status unchanged (idempotent)
//   timed_out (v1)      failed (single 500 {"error":"Unexpected error: …"})
//   webhook_failure     cancelled, yet failed in bulk (single 500)
//   unknown             failed (single 404 "Run not found <id>"); ID holding "/" → single 404 "Not Found"
//   status              GET /v1/runs/{id} → 200 {run_id, run_type, status, failure_reason, created_at, modified_at,
//                       queued_at, started_at, finished_at (final only, no time zone)}; webhook_failure reads canceled;
//                       unknown → 404 "Task run not found <id>"
extension FakeUpstreams {
    func addSkyvernRoutes(to router: Router<FakeRequestContext>) {
        router.post("/skyvern/v1/runs/cancel") { request, context in
            try await skyvernBulk(request, context)
        }
        router.post("/skyvern/v1/runs/:id/cancel") { request, context in
            try await skyvernSingle(request, context)
        }
        router.get("/skyvern/v1/runs/:id") { request, context in
            try await skyvernStatus(request, context)
        }
    }

    private func skyvernStatus(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let id = percentDecoded(context.parameters.get("id") ?? "")
        let refusal = skyvernRefusal(request)
        return try await serve(.skyvern, request, context, ids: [id], authorized: refusal == nil) {
            if id.contains("/") { return FakeResponse.starletteNotFound() }
            if let refusal { return refusal }
            guard let stored = await state.lookup(.skyvern, id, autoCreateAs: FakeState.skyvernWellFormed(id) ? "running" : nil) else {
                return FakeResponse.detail(404, "Task run not found \(id)")
            }
            let status = stored == "webhook_failure" ? "canceled" : stored
            let created = Date().addingTimeInterval(-3600)
            let final = ["completed", "failed", "terminated", "canceled", "timed_out"].contains(status)
            let finished: JSONValue = final ? .string(Self.skyvernTime(await state.endedAt(.skyvern, id) ?? created.addingTimeInterval(600))) : .null
            let runType = id.hasPrefix("wr_") ? "workflow_run" : id.hasPrefix("tsk_v2_") ? "task_v2" : "task_v1"
            return FakeResponse.json(200, .object([
                ("run_id", .string(id)), ("run_type", .string(runType)), ("status", .string(status)), ("failure_reason", .null),
                ("created_at", .string(Self.skyvernTime(created))), ("modified_at", .string(Self.skyvernTime(Date()))),
                ("queued_at", .string(Self.skyvernTime(created))), ("started_at", .string(Self.skyvernTime(created))),
                ("finished_at", finished),
            ]))
        }
    }

    /// Skyvern writes its timestamps without a time zone (they are UTC).
    static func skyvernTime(_ date: Date) -> String {
        String(date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeSeparator(.colon)).prefix(23))
    }

    private func skyvernBulk(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let bytes = try await body(of: request, context)
        let parsed = JSONValue.parse(bytes)
        let ids = parsed?["run_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let refusal = skyvernRefusal(request)
        return try await serve(.skyvern, request, context, ids: ids, authorized: refusal == nil) {
            if !bytes.isEmpty, parsed == nil { return FakeResponse.jsonInvalid() }
            if let refusal { return refusal }
            var errors = FastAPIValidation.body(parsed)
            if let parsed, errors.isEmpty {
                errors = FastAPIValidation.stringList(parsed, field: "run_ids", minItems: nil, maxItems: 100)
            }
            guard errors.isEmpty else { return FakeResponse.validation(errors) }
            let (cancelled, failed) = await state.skyvernBulkCancel(ids)
            return FakeResponse.json(200, .object([("cancelled", .strings(cancelled)), ("failed", .strings(failed))]))
        }
    }

    private func skyvernSingle(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let id = percentDecoded(context.parameters.get("id") ?? "")
        let refusal = skyvernRefusal(request)
        return try await serve(.skyvern, request, context, ids: [id], authorized: refusal == nil) {
            if id.contains("/") { return FakeResponse.starletteNotFound() }
            if let refusal { return refusal }
            switch await state.skyvernCancel(id) {
            case .cancelled:
                return FakeResponse.raw(200, "null", contentType: "application/json")
            case .notFound:
                return FakeResponse.detail(404, "Run not found \(id)")
            case .final(let status):
                return FakeResponse.detail(400, "Invalid task status transition from \(status) to canceled for \(id)")
            case .alreadyCanceled:
                return FakeResponse.detail(400, "Invalid task status transition to canceled for \(id) because task is already canceled")
            case .timedOut:
                return FakeResponse.json(500, .object([("error", .string("Unexpected error: task \(id) has timed out"))]))
            case .webhookFailure:
                return FakeResponse.json(500, .object([("error", .string("Unexpected error: failed to send webhook for \(id)"))]))
            }
        }
    }

    private func skyvernRefusal(_ request: Request) -> Response? {
        guard let key = request.headers[.xAPIKey] else {
            return FakeResponse.detail(403, "Invalid credentials")
        }
        return key == credentials.skyvernKey ? nil : FakeResponse.detail(403, "Could not validate credentials")
    }
}

enum SkyvernOutcome {
    case cancelled, notFound, final(String), alreadyCanceled, timedOut, webhookFailure

    /// In a bulk answer only `cancelled` lands in `cancelled`; the rest, webhook failure included, in `failed`.
    var bulkCancelled: Bool {
        if case .cancelled = self { true } else { false }
    }
}

extension FakeState {
    private static let endedStatuses: Set<String> = ["completed", "failed", "terminated", "canceled", "timed_out"]

    func skyvernCancel(_ id: String) -> SkyvernOutcome {
        guard let status = lookup(.skyvern, id, autoCreateAs: Self.skyvernWellFormed(id) ? "running" : nil) else {
            return .notFound
        }
        if status == "webhook_failure" {
            setStatus(.skyvern, id, "canceled", countsAsCancellation: true)
            return .webhookFailure
        }
        guard Self.endedStatuses.contains(status) else {
            setStatus(.skyvern, id, "canceled", countsAsCancellation: true)
            return .cancelled
        }
        // Workflow runs and v2 tasks that already ended answer success and keep their status.
        if id.hasPrefix("wr_") || id.hasPrefix("tsk_v2_") { return .cancelled }
        switch status {
        case "canceled": return .alreadyCanceled
        case "timed_out": return .timedOut
        default: return .final(status)
        }
    }

    /// De-duplicated, processed in a random order; each list comes back in that completion order, and a
    /// list of two or more is never left in input order (so a gateway relying on it is caught).
    func skyvernBulkCancel(_ ids: [String]) -> (cancelled: [String], failed: [String]) {
        var seen = Set<String>()
        let unique = ids.filter { seen.insert($0).inserted }
        var cancelled: [String] = []
        var failed: [String] = []
        for id in unique.shuffled() {
            if skyvernCancel(id).bulkCancelled { cancelled.append(id) } else { failed.append(id) }
        }
        return (Self.outOfInputOrder(cancelled, unique), Self.outOfInputOrder(failed, unique))
    }

    private static func outOfInputOrder(_ list: [String], _ input: [String]) -> [String] {
        let members = Set(list)
        guard list.count >= 2, list == input.filter(members.contains) else { return list }
        var list = list
        list.swapAt(0, 1)
        return list
    }

    /// `tsk_<n>`, `tsk_v2_<n>` or `wr_<n>` with a decimal snowflake.
    static func skyvernWellFormed(_ id: String) -> Bool {
        let digits = ["tsk_v2_", "wr_", "tsk_"].first(where: id.hasPrefix).map { id.dropFirst($0.count) }
        guard let digits, !digits.isEmpty, digits.count <= 19 else { return false }
        return digits.allSatisfy { $0.isASCII && $0.isNumber }
    }
}
