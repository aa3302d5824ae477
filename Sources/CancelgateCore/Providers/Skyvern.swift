internal import CancelgateWire
internal import CurlClient
internal import Foundation

// Skyvern: POST /v1/runs/cancel {"run_ids": [...]} (≤ 100) → {"cancelled": [...], "failed": [...]},
// both lists in completion order, not input order, and `failed` carries no reason. A failed ID is
// asked once more on POST /v1/runs/{id}/cancel to learn why. See upstream-apis/BEHAVIOR.md.
//
// | Skyvern answer                                   | outcome          | retryable | error.code           |
// |--------------------------------------------------|------------------|-----------|----------------------|
// | ID in `cancelled`                                | cancelled        | no        | –                    |
// | ID in `failed`, single cancel 200                | cancelled        | no        | –                    |
// | ID in `failed`, single cancel 404                | not_found        | no        | not_found            |
// | ID in `failed`, single cancel 400                | already_terminal | no        | already_terminal     |
// | … 400 after an in-doubt attempt, not "from <final status>" | cancelled | no     | –                    |
// | ID in `failed`, single cancel 5xx / other        | failed           | per CommonAnswers (500: webhook failure or timed-out task) |
// | ID in neither list                               | failed           | no        | not_reported         |
// | ID containing "/" (checked locally, never sent: no Skyvern route can match it) | invalid | no | invalid_id |
// | bulk 404 (any body: the endpoint is missing)     | failed           | no        | endpoint_not_found   |
// | single 404 {"detail":"Not Found"} (route miss)   | failed           | no        | endpoint_not_found   |
// | 403 (missing or wrong x-api-key; never 401)      | failed           | no        | upstream_auth_failed |
// | 422                                              | failed           | no        | upstream_rejected    |
// | 429, 5xx, timeouts, connection errors, garbage   | see CommonAnswers                                   |
//
// Retries (RetryLayer): 429, 502, 503, 504 and timeouts / lost connections, for the bulk call (then
// nothing of the chunk was answered) and the single one. 500 is not retried: it is the run's own
// failure (timed-out task, webhook failure). `attempts` counts the bulk call's attempts plus, for
// an ID asked again, the single call's.
//
// In doubt (InDoubt: a lost answer, or a proxy's 502/504): a v1 task cancelled by such an attempt answers the next cancel with
// 400 "... because task is already canceled". After such an attempt (bulk or single) a 400 is
// read as this request's cancellation, unless it names the final status the task came from
// ("from completed|failed|terminated|timed_out"), which only a run that ended on its own has.
//
// Completed workflow runs are answered as cancelled although they stay completed: Skyvern gives
// the gateway no way to tell, so they are reported `cancelled` (BEHAVIOR.md accepts this).
//
// Status read: GET /v1/runs/{run_id} (BEHAVIOR.md, "Status reads"). For a wr_ ID that is a v2
// task the body is the task (`run_id` tsk_v2_…): the answer is matched to the ID asked, never to
// `run_id`. With this read a completed workflow run that the cancel answered as cancelled is
// found out: confirmation reports it `already_terminal`.
//
// | Skyvern `status` (exact)                                   | state     | ended_at     |
// |------------------------------------------------------------|-----------|--------------|
// | created, queued, running, paused                           | running   | –            |
// | canceled                                                   | cancelled | finished_at (no time zone: UTC) |
// | completed, failed, terminated, timed_out                   | ended     | finished_at  |
// | any other word, or none                                    | unknown (unknown_status) |   |
// | 404 "Task run not found …" (another org's run too)         | not_found |              |
// | 404 {"detail":"Not Found"} (route miss)                    | unknown (endpoint_not_found) | |
// | 403 (missing or wrong key)                                 | unknown (upstream_auth_failed) | |
// | 429, 5xx, timeouts, unreadable 200                         | unknown, as CommonAnswers |  |
struct SkyvernAdapter: ProviderAdapter {
    static let name = "Skyvern"

    struct Body: Encodable { let run_ids: [String] }

    struct Answer: Decodable {
        let cancelled: [String]
        let failed: [String]
    }

    static let bulkPath = "/v1/runs/cancel"

    /// The status table above.
    static let statusWords: [String: RunState] = [
        "created": .running, "queued": .running, "running": .running, "paused": .running, "canceled": .cancelled,
        "completed": .ended, "failed": .ended, "terminated": .ended, "timed_out": .ended,
    ]

    struct Run: Decodable {
        let status: String?
        let finished_at: String?
    }

    func statusRequest(for id: String) -> UpstreamRequest {
        UpstreamRequest(method: "GET", path: "/v1/runs/\(Wire.segment(id))", json: nil)
    }

    func interpretStatus(_ reply: UpstreamReply, id: String, upstream: String) -> RunStatus {
        let site = CallSite(upstream: upstream, path: statusRequest(for: id).path)
        return CommonAnswers.statusRead(reply, provider: Self.name, site: site, special: [403: Self.refusedKey]) { body in
            guard let run = Wire.decode(Run.self, from: body) else { return nil }
            return .read(run.status, StatusWords.state(of: run.status, in: Self.statusWords), endedAt: run.finished_at, provider: Self.name)
        }
    }

    func rejection(of id: String) -> String? {
        if id.isEmpty { return "Skyvern run IDs cannot be empty." }
        // Skyvern's router decodes %2F before matching: such an ID can only meet a route miss.
        if id.utf8.contains(UInt8(ascii: "/")) { return "Skyvern run IDs never contain \"/\"; no Skyvern endpoint could match it, so it was not sent." }
        return nil
    }
    func chunkSize(_ upstream: UpstreamConfig) -> Int { min(upstream.batchSize, UpstreamConfig.providerBatchLimit) }

    func cancelCalls(for chunk: [PlannedUnit], reason: String) -> [UnitCall] {
        [UnitCall(units: chunk, request: UpstreamRequest(path: Self.bulkPath, json: Wire.json(Body(run_ids: chunk.map(\.id)))))]
    }

    static func singleRequest(_ id: String) -> UpstreamRequest {
        UpstreamRequest(path: "/v1/runs/\(Wire.segment(id))/cancel", json: nil)
    }

    /// The bulk answer settles what it can; every ID in `failed` is asked once more, alone, to
    /// learn why (the follow-up carries the bulk call's attempts and doubt).
    func interpret(_ reply: UpstreamReply, to call: UnitCall, upstream: String) -> Interpretation {
        let site = CallSite(upstream: upstream, path: call.request.path)
        switch call.purpose {
        case .cancel:
            let resolutions = Self.interpret(chunk: call.ids, result: reply.result, site: site)
            let followUps = call.units.filter { resolutions[$0.id] == nil }.map {
                UnitCall(
                    units: [$0], request: Self.singleRequest($0.id), purpose: .explain, priorAttempts: reply.attempts, priorInDoubt: reply.inDoubt)
            }
            return Interpretation(resolutions, followUps: followUps)
        case .explain, .read:  // reads are the Dispatcher's (interpretStatus): never asked here
            return Interpretation(CommonAnswers.all(call.ids, Self.interpretSingle(reply.result, inDoubt: reply.inDoubt, site: site)))
        }
    }

    /// The bulk answer. IDs missing from the result are the ones in `failed`: they need asking.
    static func interpret(chunk: [String], result: CallResult, site: CallSite) -> [String: Resolution] {
        let response: CurlResponse
        switch result {
        case .failure(let failure): return CommonAnswers.all(chunk, CommonAnswers.failure(failure, provider: name))
        case .success(let answer): response = answer
        }
        guard response.status == 200 else {
            return CommonAnswers.all(chunk, response.status == 403 ? refusedKey : CommonAnswers.batchStatus(response, provider: name, site: site))
        }
        guard let answer = Wire.decode(Answer.self, from: response.body) else {
            return CommonAnswers.all(chunk, CommonAnswers.unreadable(status: 200, provider: name))
        }
        let cancelled = Set(answer.cancelled)
        let failed = Set(answer.failed)
        var resolutions: [String: Resolution] = [:]
        for id in chunk {
            if cancelled.contains(id) {
                resolutions[id] = .success(.cancelled, status: 200)
            } else if !failed.contains(id) {
                resolutions[id] = .failure(.notReported, "Skyvern's answer listed this run neither as cancelled nor as failed.", status: 200, retryable: false)
            }
        }
        return resolutions
    }

    /// The single-run answer that explains a bulk failure. `inDoubt`: an earlier attempt (bulk or
    /// single) may have cancelled the run.
    static func interpretSingle(_ result: CallResult, inDoubt: Bool = false, site: CallSite) -> Resolution {
        let response: CurlResponse
        switch result {
        case .failure(let failure): return CommonAnswers.failure(failure, provider: name)
        case .success(let answer): response = answer
        }
        switch response.status {
        case 200: return .success(.cancelled, status: 200)
        case 400:
            if inDoubt, !endedOnItsOwn(response.body) { return .success(.cancelled, status: 400) }
            return .refused(.alreadyTerminal, .alreadyTerminal, "The run had already ended.", status: 400)
        case 404:
            guard !CommonAnswers.isRouteMiss(response.body) else { return CommonAnswers.endpointNotFound(site) }
            return .refused(.notFound, .notFound, "Skyvern does not know this run.", status: 404)
        case 500: return .failure(.upstreamError, "Skyvern could not cancel the run (HTTP 500).", status: 500, retryable: true)
        case 403: return refusedKey
        default: return CommonAnswers.status(response, provider: name, site: site)
        }
    }

    /// The 400 names the final status the task came from: it ended before any cancel (ours included).
    /// The already-canceled answer names none, so it alone cannot say who cancelled.
    static func endedOnItsOwn(_ body: Data) -> Bool {
        let detail = Wire.detail(body) ?? ""
        return ["completed", "failed", "terminated", "timed_out"].contains { detail.contains("from \($0)") }
    }

    /// Skyvern answers a missing or wrong key with 403, never 401.
    static let refusedKey = Resolution.failure(.upstreamAuthFailed, "Skyvern refused the gateway's API key.", status: 403, retryable: false)
}
