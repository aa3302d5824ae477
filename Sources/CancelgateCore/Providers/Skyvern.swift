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
// | 403 (missing or wrong x-api-key; never 401)      | failed           | no        | upstream_auth_failed |
// | 422                                              | failed           | no        | upstream_rejected    |
// | 429, 5xx, timeouts, connection errors, garbage   | see CommonAnswers                                   |
//
// Retries (RetryLayer): 429, 502, 503, 504 and timeouts / lost connections, for the bulk call (then
// nothing of the chunk was answered) and the single one. 500 is not retried: it is the run's own
// failure (timed-out task, webhook failure). `attempts` counts the bulk call's attempts plus, for
// an ID asked again, the single call's.
//
// In doubt: a v1 task cancelled by an attempt whose answer was lost answers the next cancel with
// 400 "... because task is already canceled". After such an attempt (bulk or single) a 400 is
// read as this request's cancellation, unless it names the final status the task came from
// ("from completed|failed|terminated|timed_out"), which only a run that ended on its own has.
//
// Completed workflow runs are answered as cancelled although they stay completed: Skyvern gives
// the gateway no way to tell, so they are reported `cancelled` (BEHAVIOR.md accepts this).
struct SkyvernAdapter: ProviderAdapter {
    static let name = "Skyvern"

    struct Body: Encodable { let run_ids: [String] }

    struct Answer: Decodable {
        let cancelled: [String]
        let failed: [String]
    }

    func rejection(of id: String) -> String? { id.isEmpty ? "Skyvern run IDs cannot be empty." : nil }
    func chunkSize(_ upstream: UpstreamConfig) -> Int { min(upstream.batchSize, UpstreamConfig.providerBatchLimit) }

    func plannedRequests(for chunk: [String], reason: String) -> [UpstreamRequest] {
        [UpstreamRequest(path: "/v1/runs/cancel", json: Wire.json(Body(run_ids: chunk)))]
    }

    static func singleRequest(_ id: String) -> UpstreamRequest {
        UpstreamRequest(path: "/v1/runs/\(Wire.segment(id))/cancel", json: nil)
    }

    func cancel(chunk: [String], using caller: UpstreamCaller) async -> [String: Resolution] {
        let bulk = await caller.call(plannedRequests(for: chunk, reason: caller.reason)[0])
        var resolutions = Self.interpret(chunk: chunk, result: bulk.result).mapValues { $0.attempted(bulk.attempts, inDoubt: bulk.inDoubt) }
        let toAsk = chunk.filter { resolutions[$0] == nil }
        let ask: @Sendable (String) async -> (String, Resolution) = { id in
            let single = await caller.call(Self.singleRequest(id))
            let resolution = Self.interpretSingle(single.result, inDoubt: bulk.inDoubt || single.inDoubt)
            return (id, resolution.attempted(bulk.attempts + single.attempts, inDoubt: bulk.inDoubt || single.inDoubt))
        }
        await withTaskGroup(of: (String, Resolution).self) { group in
            var pending = toAsk[...]
            for _ in 0..<min(caller.upstream.concurrency, pending.count) {
                let id = pending.removeFirst()
                group.addTask { await ask(id) }
            }
            for await (id, resolution) in group {
                resolutions[id] = resolution
                if let next = pending.popFirst() {
                    group.addTask { await ask(next) }
                }
            }
        }
        return resolutions
    }

    /// The bulk answer. IDs missing from the result are the ones in `failed`: they need asking.
    static func interpret(chunk: [String], result: CallResult) -> [String: Resolution] {
        let response: CurlResponse
        switch result {
        case .failure(let error): return CommonAnswers.all(chunk, CommonAnswers.transportFailure(error, provider: name))
        case .success(let answer): response = answer
        }
        guard response.status == 200 else { return CommonAnswers.all(chunk, status(response.status)) }
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
    static func interpretSingle(_ result: CallResult, inDoubt: Bool = false) -> Resolution {
        let response: CurlResponse
        switch result {
        case .failure(let error): return CommonAnswers.transportFailure(error, provider: name)
        case .success(let answer): response = answer
        }
        switch response.status {
        case 200: return .success(.cancelled, status: 200)
        case 400:
            if inDoubt, !endedOnItsOwn(response.body) { return .success(.cancelled, status: 400) }
            return .refused(.alreadyTerminal, .alreadyTerminal, "The run had already ended.", status: 400)
        case 404: return .refused(.notFound, .notFound, "Skyvern does not know this run.", status: 404)
        case 500: return .failure(.upstreamError, "Skyvern could not cancel the run (HTTP 500).", status: 500, retryable: true)
        default: return status(response.status)
        }
    }

    /// The 400 names the final status the task came from: it ended before any cancel (ours included).
    /// The already-canceled answer names none, so it alone cannot say who cancelled.
    static func endedOnItsOwn(_ body: Data) -> Bool {
        let detail = Wire.detail(body) ?? ""
        return ["completed", "failed", "terminated", "timed_out"].contains { detail.contains("from \($0)") }
    }

    /// Skyvern answers a missing or wrong key with 403, never 401.
    private static func status(_ code: Int) -> Resolution {
        code == 403
            ? .failure(.upstreamAuthFailed, "Skyvern refused the gateway's API key.", status: 403, retryable: false)
            : CommonAnswers.status(code, provider: name)
    }
}
