internal import CancelgateWire
internal import CurlClient
internal import Foundation

// ConductorOne: POST /api/v1/automation_executions/{id}/actions/terminate, body {}, one call per
// ID. Terminate is asynchronous, so success is `cancel_requested`. Bearer token static or from
// OAuth2 client credentials (C1Token.swift); a 401 refreshes the token once and retries
// (UpstreamAuthLayer). Error bodies are gRPC-gateway style: {"code":5,"message":"not found"}.
//
// | C1 answer                                            | outcome          | retryable | error.code        |
// |------------------------------------------------------|------------------|-----------|-------------------|
// | ID not an int64 (checked locally, never sent)        | invalid          | no        | invalid_id        |
// | 200 with a JSON object body ({})                     | cancel_requested | no        | –                 |
// | 200 with anything else                               | failed           | no        | bad_response      |
// | 400 (invalid_argument)                               | invalid          | no        | invalid_id        |
// | 403 (permission denied)                              | forbidden        | no        | forbidden         |
// | 404                                                  | not_found        | no        | not_found         |
// | 401 after one token refresh                          | failed           | no        | upstream_auth_failed |
// | token endpoint refused the credentials (no call made) | failed          | no        | upstream_auth_failed |
// | token endpoint unreachable, failing, unreadable      | failed           | yes       | token_unavailable |
// | 404 {"detail":"Not Found"} (a route miss: wrong base_url) | failed      | no        | endpoint_not_found |
// | 429, 5xx, timeouts, connection errors                | see CommonAnswers                             |
//
// Retries (RetryLayer): 429, 500, 502, 503, 504 (what C1's Go SDK retries), timeouts and lost
// connections, with Retry-After in seconds or as an HTTP-date. The 401 refresh is not an attempt
// of its own: it happens inside one (UpstreamAuthLayer).
// In doubt: how C1 answers a second terminate of a terminating execution is not documented; the
// table reads whatever the retry gets (200 → `cancel_requested`) and adds no special case.
//
// Status read: GET /api/v1/automation_executions/{id} → {"automationExecution": {"state", "completedAt", …}}
// (conductorone-sdk-go GetAutomationExecution; every field optional). The state set is open.
//
// | C1 `automationExecution.state` (exact)                     | state     | ended_at    |
// |------------------------------------------------------------|-----------|-------------|
// | AUTOMATION_EXECUTION_STATE_ + PENDING, CREATING, GET_STEP, PROCESS_STEP, COMPLETE_STEP, WAITING, PAUSED_BY_CIRCUIT_BREAKER | running | – |
// | AUTOMATION_EXECUTION_STATE_TERMINATE                       | cancelled | completedAt (if C1 sets it: unknown) |
// | AUTOMATION_EXECUTION_STATE_DONE, _ERROR                    | ended     | completedAt |
// | _UNSPECIFIED, no state, no automationExecution, other word | unknown (unknown_status) |  |
// | 400                                                        | invalid   |             |
// | 403                                                        | forbidden |             |
// | 404 (its body is undocumented; a route miss {"detail":"Not Found"} is endpoint_not_found) | not_found | |
// | 401 after one token refresh, token failures, 429, 5xx, timeouts | unknown, as CommonAnswers | |
struct C1Adapter: ProviderAdapter {
    static let name = "C1"

    func rejection(of id: String) -> String? {
        let digits = !id.isEmpty && id.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        return digits && Int64(id) != nil ? nil : "C1 automation execution IDs are 64-bit integers written in decimal digits."
    }

    func chunkSize(_ upstream: UpstreamConfig) -> Int { 1 }

    static let statePrefix = "AUTOMATION_EXECUTION_STATE_"
    /// The status table above.
    static let statusWords: [String: RunState] = Dictionary(
        uniqueKeysWithValues: (["PENDING", "CREATING", "GET_STEP", "PROCESS_STEP", "COMPLETE_STEP", "WAITING", "PAUSED_BY_CIRCUIT_BREAKER"].map {
            (statePrefix + $0, RunState.running)
        }) + [(statePrefix + "TERMINATE", .cancelled), (statePrefix + "DONE", .ended), (statePrefix + "ERROR", .ended)])

    struct Answer: Decodable {
        struct Execution: Decodable {
            let state: String?
            let completedAt: String?
        }
        let automationExecution: Execution?
    }

    func statusRequest(for id: String) -> UpstreamRequest {
        UpstreamRequest(method: "GET", path: "/api/v1/automation_executions/\(Wire.segment(id))", json: nil)
    }

    func interpretStatus(_ reply: UpstreamReply, id: String, upstream: String) -> RunStatus {
        let site = CallSite(upstream: upstream, path: statusRequest(for: id).path)
        let invalid = Resolution.refused(.invalid, .invalidID, "C1 rejected the execution ID as invalid.", status: 400)
        return CommonAnswers.statusRead(reply, provider: Self.name, site: site, special: [400: invalid]) { body in
            guard let answer = Wire.decode(Answer.self, from: body) else { return nil }
            let state = answer.automationExecution?.state
            return .read(state, StatusWords.state(of: state, in: Self.statusWords), endedAt: answer.automationExecution?.completedAt, provider: Self.name)
        }
    }

    var transientStatuses: Set<Int> { RetryPolicy.commonTransientStatuses.union([500]) }

    func cancelCalls(for chunk: [PlannedUnit], reason: String) -> [UnitCall] {
        chunk.map { UnitCall(units: [$0], request: UpstreamRequest(path: "/api/v1/automation_executions/\(Wire.segment($0.id))/actions/terminate", json: Data("{}".utf8))) }
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
            guard (try? JSONSerialization.jsonObject(with: response.body)) is [String: Any] else {
                return CommonAnswers.unreadable(status: 200, provider: name)
            }
            return .success(.cancelRequested, status: 200)
        case 400:
            return .refused(.invalid, .invalidID, "C1 rejected the execution ID as invalid.", status: 400)
        default:
            return CommonAnswers.status(response, provider: name, site: site)
        }
    }
}
