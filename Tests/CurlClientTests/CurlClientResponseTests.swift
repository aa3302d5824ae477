import CurlClient
import Foundation
import Testing

@Suite("CurlClient responses")
struct CurlClientResponseTests {
    @Test("POST body and request headers arrive; status, headers and body come back")
    func postRoundTrip() async throws {
        try await withTestServer { client, base in
            let payload = Data("{\"ids\":[1,2,3]}".utf8)
            let response = try await client.execute(
                CurlRequest(method: "POST", url: "\(base)/echo", headers: [HTTPHeader("X-Test", "hello")], body: payload))
            #expect(response.status == 201)
            #expect(response.body == payload)
            #expect(response.header("x-seen-test") == "hello")
            #expect(response.header("X-SEEN-METHOD") == "POST")
            #expect(response.header("x-seen-length") == "\(payload.count)")
            #expect(response.header("content-type") == "application/octet-stream")
            #expect(response.header("x-not-there") == nil)
            #expect(response.headers.contains { $0.name.lowercased() == "content-length" })
        }
    }

    @Test("POST without a body still sends Content-Length: 0", arguments: [nil, Data()])
    func emptyPost(body: Data?) async throws {
        try await withTestServer { client, base in
            let response = try await client.execute(CurlRequest(method: "POST", url: "\(base)/echo", body: body))
            #expect(response.status == 201)
            #expect(response.header("x-seen-length") == "0")
            #expect(response.body.isEmpty)
        }
    }

    @Test("a 500 is a response, not an error")
    func serverErrorIsAResponse() async throws {
        try await withTestServer { client, base in
            let response = try await client.execute(CurlRequest(url: "\(base)/fail"))
            #expect(response.status == 500)
            #expect(String(decoding: response.body, as: UTF8.self) == "boom")
        }
    }

    @Test("200 concurrent requests through one client all get their own body")
    func concurrentRequests() async throws {
        try await withTestServer { client, base in
            try await withThrowingTaskGroup(of: (Int, CurlResponse).self) { group in
                for index in 0..<200 {
                    group.addTask { (index, try await client.execute(CurlRequest(url: "\(base)/n/\(index)"))) }
                }
                var seen = Set<Int>()
                for try await (index, response) in group {
                    #expect(response.status == 200)
                    #expect(String(decoding: response.body, as: UTF8.self) == "value-\(index)")
                    seen.insert(index)
                }
                #expect(seen.count == 200)
            }
        }
    }

    @Test("a body of exactly maxResponseBytes is accepted")
    func bodyAtLimit() async throws {
        var configuration = CurlClientConfiguration()
        configuration.maxResponseBytes = 1024
        try await withTestServer(configuration: configuration) { client, base in
            let response = try await client.execute(CurlRequest(url: "\(base)/bytes/1024"))
            #expect(response.status == 200)
            #expect(response.body.count == 1024)
        }
    }
}
