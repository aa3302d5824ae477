internal import CancelgateWire
internal import CurlClient
internal import Foundation

// Kubiya control plane: `batch` mode (POST /api/v1/executions/batch/terminate, ≤ 100 IDs) and
// `single` mode (POST /api/v1/executions/{id}/terminate). See upstream-apis/BEHAVIOR.md.
//
// | Kubiya answer                                                  | outcome          | retryable | error.code        |
// |----------------------------------------------------------------|------------------|-----------|-------------------|
// | ID not UUID-shaped (checked locally, never sent)               | invalid          | no        | invalid_id        |
// | batch item success: true / single 200                          | cancelled        | no        | –                 |
// | "Execution not found" (item) / 404                             | not_found        | no        | not_found         |
// | "Cannot terminate workflow in status: completed|failed|cancelled" | already_terminal | no     | already_terminal  |
// | "... status: cancelled" after an in-doubt attempt (see below)  | cancelled        | no        | –                 |
// | "Cannot terminate workflow in status: queued"                  | failed           | yes       | not_cancellable   |
// | "... status: <other>" (waiting_for_input, paused, …)           | failed           | no        | not_cancellable   |
// | "Unexpected error: …" (item) / single 500 (Temporal failure)   | failed           | yes       | upstream_error    |
// | batch 500                                                      | failed           | yes       | upstream_error    |
// | batch 404 (any body: the endpoint is missing, not the runs)    | failed           | no        | endpoint_not_found |
// | single 404 {"detail":"Not Found"} (FastAPI's route miss)       | failed           | no        | endpoint_not_found |
// | batch 200 without a result for the ID                          | failed           | no        | not_reported      |
// | 422 (FastAPI validation)                                       | failed           | no        | upstream_rejected |
// | 401, 429, 5xx, timeouts, connection errors, garbage            | see CommonAnswers                             |
//
// Retries (RetryLayer): 429, 502, 503, 504 and timeouts / lost connections in both modes, and the
// single call's 500 (a Temporal failure, retryable by BEHAVIOR.md). A batch 500 is not retried:
// the batch may have been half done, and terminate is not idempotent. A batch 200 never is.
//
// In doubt: terminate is not idempotent, so when an earlier attempt was in doubt (InDoubt: timed
// out or lost its connection after the request went out, or a proxy's 502/504), a later "status: cancelled" is most likely that attempt's
// own work: the item is `cancelled` (no `cancelled_at`: Kubiya does not say when). "status:
// completed"/"failed" stays `already_terminal`.
//
// Upstream text is never copied into reports: Kubiya's unexpected errors carry SQL.
//
// Status read (both modes): GET /api/v1/executions/{id} → ExecutionResponse (BEHAVIOR.md, "Status reads").
//
// | Kubiya `status` (exact, lower case)                        | state     | ended_at       |
// |------------------------------------------------------------|-----------|----------------|
// | pending, queued, running, waiting_for_input, paused        | running   | –              |
// | cancelled                                                  | cancelled | completed_at   |
// | completed, failed, interrupted                             | ended     | completed_at   |
// | any other word, or none                                    | unknown (unknown_status), word kept in provider_status |
// | ID not UUID-shaped (checked locally, never read)           | invalid   |                |
// | 404 {"detail":"Execution not found"} (another org's too)   | not_found |                |
// | 404 {"detail":"Not Found"} (route miss: wrong base_url)    | unknown (endpoint_not_found) |  |
// | 500 "Failed to get execution: …"                           | unknown (upstream_error, retryable) | |
// | 401, 403, 429, 5xx, timeouts, unreadable 200               | as CommonAnswers: 403 forbidden, the rest unknown |
// Reads are retried on 429, 500, 502, 503, 504 and lost answers: a read changes nothing.

/// Kubiya shares ID rules and error-string reading between its two modes.
enum Kubiya {
    static let name = "Kubiya"

    /// Only UUIDs: one non-UUID ID poisons the database transaction of its whole batch.
    static func rejection(of id: String) -> String? {
        isUUID(id)
            ? nil
            : "Kubiya accepts only UUID execution IDs; a non-UUID ID would fail its whole batch upstream, so it was not sent."
    }

    /// `8-4-4-4-12` hex digits, either case: what `UUID(uuidString:)` accepts (KubiyaUUIDTests
    /// compares them), read on the UTF-8 bytes instead of through `sscanf` (2 % of a dry run).
    static func isUUID(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard utf8.count == 36 else { return false }
        return utf8.withContiguousStorageIfAvailable(isUUID) ?? isUUID(Array(utf8))
    }

    private static func isUUID<C: Collection<UInt8>>(_ bytes: C) -> Bool where C.Index == Int {
        for (position, byte) in zip(bytes.indices, bytes) {
            switch position {
            case 8, 13, 18, 23: guard byte == UInt8(ascii: "-") else { return false }
            default:
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): continue
                default: return false
                }
            }
        }
        return true
    }

    /// Kubiya matches an upper-case UUID to its execution, so both spellings are one run.
    static func canonicalKey(_ id: String) -> String { id.lowercased() }

    static let terminalStatuses: Set<String> = ["completed", "failed", "cancelled"]

    /// The status table above.
    static let statusWords: [String: RunState] = [
        "pending": .running, "queued": .running, "running": .running, "waiting_for_input": .running, "paused": .running,
        "cancelled": .cancelled, "completed": .ended, "failed": .ended, "interrupted": .ended,
    ]

    static func statusRequest(for id: String) -> UpstreamRequest {
        UpstreamRequest(method: "GET", path: "/api/v1/executions/\(Wire.segment(id))", json: nil)
    }

    struct Execution: Decodable {
        let status: String?
        let completed_at: String?
    }

    static func interpretStatus(_ reply: UpstreamReply, path: String, upstream: String) -> RunStatus {
        CommonAnswers.statusRead(reply, provider: name, site: CallSite(upstream: upstream, path: path)) { body in
            guard let execution = Wire.decode(Execution.self, from: body) else { return nil }
            return .read(
                execution.status, StatusWords.state(of: execution.status, in: statusWords), endedAt: execution.completed_at, provider: name)
        }
    }

    /// Reads Kubiya's error string (batch item `error` or single `detail`). `inDoubt`: an earlier
    /// attempt of the same call may have terminated the execution.
    static func resolution(forError text: String, status: Int?, inDoubt: Bool = false) -> Resolution {
        if text == "Execution not found" {
            return .refused(.notFound, .notFound, "Kubiya does not know this execution.", status: status)
        }
        let prefix = "Cannot terminate workflow in status: "
        if text.hasPrefix(prefix) {
            let runStatus = String(text.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
            if runStatus == "cancelled", inDoubt {
                return .success(.cancelled, status: status)
            }
            if terminalStatuses.contains(runStatus) {
                return .refused(.alreadyTerminal, .alreadyTerminal, "The execution had already ended (\(runStatus)).", status: status)
            }
            let known = ["queued", "waiting_for_input", "paused"].contains(runStatus) ? runStatus : "another state"
            return .failure(.notCancellable, "Kubiya cannot terminate an execution in status \(known).", status: status, retryable: runStatus == "queued")
        }
        return .failure(.upstreamError, "Kubiya failed to terminate the execution.", status: status, retryable: true)
    }
}

struct KubiyaBatchAdapter: ProviderAdapter {
    func statusRequest(for id: String) -> UpstreamRequest { Kubiya.statusRequest(for: id) }
    func interpretStatus(_ reply: UpstreamReply, id: String, upstream: String) -> RunStatus {
        Kubiya.interpretStatus(reply, path: Kubiya.statusRequest(for: id).path, upstream: upstream)
    }

    struct Body: Encodable {
        let execution_ids: [String]
        let reason: String
    }

    struct Answer: Decodable {
        struct Item: Decodable {
            let execution_id: String
            let success: Bool
            let error: String?
            let terminated_at: String?
        }
        let results: [Item]
    }

    func rejection(of id: String) -> String? { Kubiya.rejection(of: id) }
    func canonicalKey(_ id: String) -> String { Kubiya.canonicalKey(id) }
    func chunkSize(_ upstream: UpstreamConfig) -> Int { min(upstream.batchSize, UpstreamConfig.providerBatchLimit) }

    static let path = "/api/v1/executions/batch/terminate"

    func cancelCalls(for chunk: [PlannedUnit], reason: String) -> [UnitCall] {
        [UnitCall(units: chunk, request: UpstreamRequest(path: Self.path, json: Wire.json(Body(execution_ids: chunk.map(\.id), reason: reason))))]
    }

    func interpret(_ reply: UpstreamReply, to call: UnitCall, upstream: String) -> Interpretation {
        Interpretation(Self.interpret(chunk: call.ids, result: reply.result, inDoubt: reply.inDoubt, site: CallSite(upstream: upstream, path: Self.path)))
    }

    static func interpret(chunk: [String], result: CallResult, inDoubt: Bool = false, site: CallSite) -> [String: Resolution] {
        let response: CurlResponse
        switch result {
        case .failure(let failure): return CommonAnswers.all(chunk, CommonAnswers.failure(failure, provider: Kubiya.name))
        case .success(let answer): response = answer
        }
        guard response.status == 200 else {
            return CommonAnswers.all(chunk, CommonAnswers.batchStatus(response, provider: Kubiya.name, site: site))
        }
        guard let answer = Wire.decode(Answer.self, from: response.body) else {
            return CommonAnswers.all(chunk, CommonAnswers.unreadable(status: 200, provider: Kubiya.name))
        }
        // Results come in input order and echo each ID as sent; match by ID so a short or
        // reordered answer can never shift one item's result onto another.
        var byID: [String: Resolution] = [:]
        for item in answer.results where chunk.contains(item.execution_id) && byID[item.execution_id] == nil {
            byID[item.execution_id] =
                item.success
                ? .success(.cancelled, status: 200, cancelledAt: item.terminated_at)
                : Kubiya.resolution(forError: item.error ?? "", status: 200, inDoubt: inDoubt)
        }
        for id in chunk where byID[id] == nil {
            byID[id] = .failure(.notReported, "Kubiya's answer did not mention this execution.", status: 200, retryable: false)
        }
        return byID
    }
}

struct KubiyaSingleAdapter: ProviderAdapter {
    func statusRequest(for id: String) -> UpstreamRequest { Kubiya.statusRequest(for: id) }
    func interpretStatus(_ reply: UpstreamReply, id: String, upstream: String) -> RunStatus {
        Kubiya.interpretStatus(reply, path: Kubiya.statusRequest(for: id).path, upstream: upstream)
    }

    struct Answer: Decodable {
        let success: Bool
        let terminated_at: String?
    }

    func rejection(of id: String) -> String? { Kubiya.rejection(of: id) }
    func canonicalKey(_ id: String) -> String { Kubiya.canonicalKey(id) }
    func chunkSize(_ upstream: UpstreamConfig) -> Int { 1 }
    /// The single call's 500 is a Temporal failure: nothing was terminated, try again.
    var transientStatuses: Set<Int> { RetryPolicy.commonTransientStatuses.union([500]) }

    func cancelCalls(for chunk: [PlannedUnit], reason: String) -> [UnitCall] {
        let body = Wire.reasonBody(reason)
        return chunk.map { UnitCall(units: [$0], request: UpstreamRequest(path: "/api/v1/executions/\(Wire.segment($0.id))/terminate", json: body)) }
    }

    func interpret(_ reply: UpstreamReply, to call: UnitCall, upstream: String) -> Interpretation {
        Interpretation(CommonAnswers.all(call.ids, Self.interpret(reply.result, inDoubt: reply.inDoubt, site: CallSite(upstream: upstream, path: call.request.path))))
    }

    static func interpret(_ result: CallResult, inDoubt: Bool = false, site: CallSite) -> Resolution {
        let response: CurlResponse
        switch result {
        case .failure(let failure): return CommonAnswers.failure(failure, provider: Kubiya.name)
        case .success(let answer): response = answer
        }
        switch response.status {
        case 200:
            guard let answer = Wire.decode(Answer.self, from: response.body), answer.success else {
                return CommonAnswers.unreadable(status: 200, provider: Kubiya.name)
            }
            return .success(.cancelled, status: 200, cancelledAt: answer.terminated_at)
        case 404:
            guard !CommonAnswers.isRouteMiss(response.body) else { return CommonAnswers.endpointNotFound(site) }
            return .refused(.notFound, .notFound, "Kubiya does not know this execution.", status: 404)
        case 400:
            guard let detail = Wire.detail(response.body), detail.hasPrefix("Cannot terminate") else {
                return CommonAnswers.status(response, provider: Kubiya.name, site: site)
            }
            return Kubiya.resolution(forError: detail, status: 400, inDoubt: inDoubt)
        case 500:
            return .failure(.upstreamError, "Kubiya failed to terminate the execution (HTTP 500).", status: 500, retryable: true)
        default:
            return CommonAnswers.status(response, provider: Kubiya.name, site: site)
        }
    }
}
