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
// | 429, 5xx, timeouts, connection errors                | see CommonAnswers                             |
struct C1Adapter: ProviderAdapter {
    static let name = "C1"

    func rejection(of id: String) -> String? {
        let digits = !id.isEmpty && id.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        return digits && Int64(id) != nil ? nil : "C1 automation execution IDs are 64-bit integers written in decimal digits."
    }

    func chunkSize(_ upstream: UpstreamConfig) -> Int { 1 }

    func plannedRequests(for chunk: [String], reason: String) -> [UpstreamRequest] {
        chunk.map {
            UpstreamRequest(path: "/api/v1/automation_executions/\(Wire.segment($0))/actions/terminate", json: Data("{}".utf8))
        }
    }

    func cancel(chunk: [String], using caller: UpstreamCaller) async -> [String: Resolution] {
        var resolutions: [String: Resolution] = [:]
        for (id, request) in zip(chunk, plannedRequests(for: chunk, reason: caller.reason)) {
            resolutions[id] = Self.interpret(await caller.call(request))
        }
        return resolutions
    }

    static func interpret(_ result: CallResult) -> Resolution {
        let response: CurlResponse
        switch result {
        case .failure(let error): return CommonAnswers.transportFailure(error, provider: name)
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
            return CommonAnswers.status(response.status, provider: name)
        }
    }
}
