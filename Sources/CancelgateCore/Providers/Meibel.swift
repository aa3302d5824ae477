internal import CancelgateWire
internal import CurlClient
internal import Foundation

// Meibel: POST /batch-executions/id/{id}/cancel, no body, one call per ID → BatchExecutionResponse.
// Its behaviour for finished or unknown executions is undocumented (BEHAVIOR.md); this is the
// safe reading it recommends. `status` is compared case-insensitively.
//
// | Meibel answer                                        | outcome          | retryable | error.code        |
// |------------------------------------------------------|------------------|-----------|-------------------|
// | 200, status CANCELED / CANCELLED / TERMINATED        | cancelled        | no        | –                 |
// | 200, status COMPLETED / FAILED                       | already_terminal | no        | already_terminal  |
// | 200, any other status (RUNNING, …: still stopping)   | cancel_requested | no        | –                 |
// | 200 without a readable `status`                      | failed           | no        | bad_response      |
// | 404 {"detail":"Not Found"} (FastAPI's route miss)    | failed           | no        | endpoint_not_found |
// | other 404                                            | not_found        | no        | not_found         |
// | 422 (the ID was rejected as malformed)               | invalid          | no        | invalid_id        |
// | 401, 403, 429, 5xx, timeouts, connection errors      | see CommonAnswers                             |
//
// Retries (RetryLayer): 429 (the SDKs read its integer Retry-After), 502, 503, 504, timeouts and
// lost connections; not 500, whose meaning Meibel does not document.
// In doubt: after an attempt that may have cancelled the execution, the next one answers 200
// CANCELED, which is `cancelled` already: the table needs no special case.
//
// Status read: GET /batch-executions/id/{id} → BatchExecutionResponse (the SDKs' get_by_id). Meibel
// publishes no list of status words and no 404 body: this is BEHAVIOR.md's safe reading,
// case-insensitive. `provider_status` keeps the word as Meibel wrote it.
//
// | Meibel `status` (any case)                                 | state     | ended_at   |
// |------------------------------------------------------------|-----------|------------|
// | running, pending, queued                                   | running   | –          |
// | canceled, cancelled, terminated                            | cancelled | end_time   |
// | completed, succeeded, failed, timed_out, error             | ended     | end_time   |
// | any other word (a non-null end_time alone decides nothing) | unknown (unknown_status) | |
// | 404 {"detail":"Not Found"} (route miss)                    | unknown (endpoint_not_found) | |
// | other 404                                                  | not_found |            |
// | 422 (the ID was rejected as malformed)                     | invalid   |            |
// | 401, 403, 429, 5xx, timeouts, unreadable 200               | as CommonAnswers: 403 forbidden, the rest unknown |
struct MeibelAdapter: ProviderAdapter {
    static let name = "Meibel"

    struct Answer: Decodable {
        let status: String
        let end_time: String?
    }

    /// The status table above (keys lower case: the word is folded before lookup).
    static let statusWords: [String: RunState] = [
        "running": .running, "pending": .running, "queued": .running,
        "canceled": .cancelled, "cancelled": .cancelled, "terminated": .cancelled,
        "completed": .ended, "succeeded": .ended, "failed": .ended, "timed_out": .ended, "error": .ended,
    ]

    struct Execution: Decodable {
        let status: String?
        let end_time: String?
    }

    func statusRequest(for id: String) -> UpstreamRequest {
        UpstreamRequest(method: "GET", path: "/batch-executions/id/\(Wire.segment(id))", json: nil)
    }

    func interpretStatus(_ reply: UpstreamReply, id: String, upstream: String) -> RunStatus {
        let site = CallSite(upstream: upstream, path: statusRequest(for: id).path)
        let invalid = Resolution.refused(.invalid, .invalidID, "Meibel rejected the execution ID as malformed.", status: 422)
        return CommonAnswers.statusRead(reply, provider: Self.name, site: site, special: [422: invalid]) { body in
            guard let execution = Wire.decode(Execution.self, from: body) else { return nil }
            return .read(
                execution.status, StatusWords.state(of: execution.status, in: Self.statusWords, folding: true), endedAt: execution.end_time,
                provider: Self.name)
        }
    }

    func rejection(of id: String) -> String? { id.isEmpty ? "Meibel execution IDs cannot be empty." : nil }
    func chunkSize(_ upstream: UpstreamConfig) -> Int { 1 }

    func cancelCalls(for chunk: [PlannedUnit], reason: String) -> [UnitCall] {
        chunk.map { UnitCall(units: [$0], request: UpstreamRequest(path: "/batch-executions/id/\(Wire.segment($0.id))/cancel", json: nil)) }
    }

    func interpret(_ reply: UpstreamReply, to call: UnitCall, upstream: String) -> Interpretation {
        Interpretation(CommonAnswers.all(call.ids, Self.interpret(reply.result, site: CallSite(upstream: upstream, path: call.request.path))))
    }

    static func interpret(_ result: CallResult, site: CallSite) -> Resolution {
        let response: CurlResponse
        switch result {
        case .failure(let failure): return CommonAnswers.failure(failure, provider: name)
        case .success(let answer): response = answer
        }
        switch response.status {
        case 200:
            guard let answer = Wire.decode(Answer.self, from: response.body) else {
                return CommonAnswers.unreadable(status: 200, provider: name)
            }
            switch answer.status.uppercased() {
            case "CANCELED", "CANCELLED", "TERMINATED":
                return .success(.cancelled, status: 200, cancelledAt: answer.end_time)
            case "COMPLETED", "FAILED":
                return .refused(.alreadyTerminal, .alreadyTerminal, "The execution had already ended.", status: 200)
            default:
                return .success(.cancelRequested, status: 200)
            }
        case 422:
            return .refused(.invalid, .invalidID, "Meibel rejected the execution ID as malformed.", status: 422)
        default:
            return CommonAnswers.status(response, provider: name, site: site)
        }
    }
}
