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
// | ID in `failed`, single cancel 5xx / other        | failed           | per CommonAnswers (500: webhook failure or timed-out task) |
// | ID in neither list                               | failed           | no        | not_reported         |
// | 403 (missing or wrong x-api-key; never 401)      | failed           | no        | upstream_auth_failed |
// | 422                                              | failed           | no        | upstream_rejected    |
// | 429, 5xx, timeouts, connection errors, garbage   | see CommonAnswers                                   |
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
        let result = await caller.call(plannedRequests(for: chunk, reason: caller.reason)[0])
        var resolutions = Self.interpret(chunk: chunk, result: result)
        let toAsk = chunk.filter { resolutions[$0] == nil }
        await withTaskGroup(of: (String, Resolution).self) { group in
            var pending = toAsk[...]
            for _ in 0..<min(caller.upstream.concurrency, pending.count) {
                let id = pending.removeFirst()
                group.addTask { (id, Self.interpretSingle(await caller.call(Self.singleRequest(id))).with(attempts: 2)) }
            }
            for await (id, resolution) in group {
                resolutions[id] = resolution
                if let next = pending.popFirst() {
                    group.addTask { (next, Self.interpretSingle(await caller.call(Self.singleRequest(next))).with(attempts: 2)) }
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

    /// The single-run answer that explains a bulk failure.
    static func interpretSingle(_ result: CallResult) -> Resolution {
        let response: CurlResponse
        switch result {
        case .failure(let error): return CommonAnswers.transportFailure(error, provider: name)
        case .success(let answer): response = answer
        }
        switch response.status {
        case 200: return .success(.cancelled, status: 200)
        case 400: return .refused(.alreadyTerminal, .alreadyTerminal, "The run had already ended.", status: 400)
        case 404: return .refused(.notFound, .notFound, "Skyvern does not know this run.", status: 404)
        case 500: return .failure(.upstreamError, "Skyvern could not cancel the run (HTTP 500).", status: 500, retryable: true)
        default: return status(response.status)
        }
    }

    /// Skyvern answers a missing or wrong key with 403, never 401.
    private static func status(_ code: Int) -> Resolution {
        code == 403
            ? .failure(.upstreamAuthFailed, "Skyvern refused the gateway's API key.", status: 403, retryable: false)
            : CommonAnswers.status(code, provider: name)
    }
}
