public import CancelgateWire
internal import CurlClient
internal import Foundation

/// `POST /v1/status`, for `cancelgate status`.
extension GatewayClient {
    /// Reads every ID's status, in requests of at most the gateway's `max_items` sent one after the
    /// other, and joins their answers into one report in input order (indices over the whole list).
    public func status(_ ids: [String], upstream: String?) async throws(CancelCommandError) -> StatusReport {
        let size = max(1, try await maxItems())
        var results: [StatusResult] = []
        var requestIDs: [String] = []
        for offset in stride(from: 0, to: ids.count, by: size) {
            let slice = Array(ids[offset..<min(offset + size, ids.count)])
            let report = try await statusRequest(slice, upstream: upstream)
            requestIDs.append(report.requestID)
            results += report.results.map { result in
                var result = result
                result.index += offset
                return result
            }
        }
        return StatusReport(requestID: requestIDs.joined(separator: ","), summary: StatusSummary(results), results: results)
    }

    private struct StatusBody: Encodable {
        let ids: [String]
        let upstream: String?
    }

    private func statusRequest(_ ids: [String], upstream: String?) async throws(CancelCommandError) -> StatusReport {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(StatusBody(ids: ids, upstream: upstream))) ?? Data()
        let request = CurlRequest(
            method: "POST", url: baseURL + "/v1/status",
            headers: headers() + [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Accept", "application/json")], body: body,
            timeout: timeout)
        let response = try await send(request)
        guard response.status == 200 else { throw problem(response, chunk: nil) }
        guard let report = try? JSONDecoder().decode(StatusReport.self, from: response.body) else { throw notJSON(response, "/v1/status") }
        guard report.results.map(\.id) == ids else {
            throw CancelCommandError(.connection, "\(baseURL) answered \(report.results.count) statuses for \(ids.count) IDs, or in another order")
        }
        return report
    }
}
