public import CancelgateWire
internal import CurlClient
internal import Foundation

/// The records API (`GET /v1/cancels…`), for `cancelgate history`.
extension GatewayClient {
    public struct RecordsPage: Sendable, Decodable {
        public var cancels: [CancelRecord]
        public var next_cursor: String?
    }

    /// `GET /v1/cancels/{request_id}`; nil when the gateway has no record visible to this caller.
    public func record(requestID: String) async throws(CancelCommandError) -> CancelRecord? {
        let path = "/v1/cancels/" + (requestID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? requestID)
        let response = try await send(CurlRequest(method: "GET", url: baseURL + path, headers: headers(), timeout: timeout))
        if response.status == 404 { return nil }
        guard response.status == 200 else { throw problem(response, chunk: nil) }
        guard let record = try? JSONDecoder().decode(CancelRecord.self, from: response.body) else { throw notJSON(response, path) }
        return record
    }

    /// Every page of `GET /v1/cancels?…` up to `max` records, newest first.
    public func records(_ parameters: [(String, String)], max: Int) async throws(CancelCommandError) -> [CancelRecord] {
        var all: [CancelRecord] = []
        var cursor: String?
        repeat {
            var components = URLComponents()
            components.queryItems = (parameters + [("limit", String(min(500, max - all.count)))] + (cursor.map { [("cursor", $0)] } ?? [])).map {
                URLQueryItem(name: $0.0, value: $0.1)
            }
            // `+` is a space to some servers' query parsers; an RFC 3339 offset keeps its plus.
            let query = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
            let response = try await send(CurlRequest(method: "GET", url: baseURL + "/v1/cancels?" + query, headers: headers(), timeout: timeout))
            guard response.status == 200 else { throw problem(response, chunk: nil) }
            guard let page = try? JSONDecoder().decode(RecordsPage.self, from: response.body) else { throw notJSON(response, "/v1/cancels") }
            all += page.cancels
            cursor = page.next_cursor
        } while cursor != nil && all.count < max
        return all
    }
}
