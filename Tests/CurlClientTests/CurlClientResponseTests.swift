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

    @Test("header lines: interim heads dropped, spaces and tabs trimmed, folds joined, UTF-8 kept, names as sent")
    func rawHeaderLines() async throws {
        let answer = "HTTP/1.1 100 Continue\r\nX-Interim: gone\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nX-Padded: \t value with  inner  spaces \t\r\nx-lower:v\r\nX-Empty:\r\nX-Empty-Padded:   \r\n"
            + "X-Folded: first\r\n \t second part\r\nX-Text: caf\u{E9} \u{1F600}\r\nX-Colons: a:b: c\r\n"
            + "Content-Length: 2\r\nConnection: close\r\n\r\nok"
        let response = try await withRawResponder(answer) { port in
            let client = try CurlClient()
            let result: Result<CurlResponse, any Error>
            do { result = .success(try await client.execute(CurlRequest(url: "http://127.0.0.1:\(port)/"))) } catch { result = .failure(error) }
            await client.shutdown()
            return try result.get()
        }
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == "ok")
        #expect(response.header("x-interim") == nil, "the 100 head's fields are not the answer's")
        #expect(response.header("x-padded") == "value with  inner  spaces")
        #expect(response.headers.contains { $0.name == "x-lower" && $0.value == "v" }, "the name as sent")
        #expect(response.header("x-empty") == "" && response.header("x-empty-padded") == "")
        #expect(response.header("x-folded") == "first second part")
        #expect(response.header("x-text") == "caf\u{E9} \u{1F600}")
        #expect(response.header("x-colons") == "a:b: c")
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

    /// The driver wakes for a command only while it sleeps in curl_multi_poll; one that came
    /// while it was awake and went unseen would wait for the poll timeout, here an hour.
    @Test("no request waits for the driver's poll timeout, one at a time or in waves", .timeLimit(.minutes(1)))
    func noLostWakeUps() async throws {
        var configuration = CurlClientConfiguration()
        configuration.pollTimeout = .seconds(3600)
        try await withTestServer(configuration: configuration) { client, base in
            for index in 0..<50 {
                let response = try await client.execute(CurlRequest(url: "\(base)/n/\(index)"))
                #expect(String(decoding: response.body, as: UTF8.self) == "value-\(index)")
            }
            for wave in 0..<10 {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    for index in 0..<50 {
                        group.addTask {
                            let response = try await client.execute(CurlRequest(url: "\(base)/n/\(wave * 50 + index)"))
                            return String(decoding: response.body, as: UTF8.self) == "value-\(wave * 50 + index)"
                        }
                    }
                    for try await matched in group { #expect(matched) }
                }
            }
        }
    }

    /// Easy handles are reset and reused: nothing of one request (its headers, body, method, a
    /// failure) may reach the next one made on the same handle.
    @Test("a reused handle carries nothing of the request before it")
    func reusedHandlesStartClean() async throws {
        var configuration = CurlClientConfiguration()
        configuration.maxResponseBytes = 1024
        try await withTestServer(configuration: configuration) { client, base in
            for round in 0..<20 {
                let payload = Data("round \(round)".utf8)
                let posted = try await client.execute(
                    CurlRequest(method: "POST", url: "\(base)/echo", headers: [HTTPHeader("X-Test", "round-\(round)")], body: payload))
                #expect(posted.body == payload)
                #expect(posted.header("x-seen-test") == "round-\(round)")
                let bare = try await client.execute(CurlRequest(method: "POST", url: "\(base)/echo"))
                #expect(bare.header("x-seen-test") == "missing", "a header of the request before")
                #expect(bare.header("x-seen-length") == "0", "the body of the request before")
                #expect(bare.body.isEmpty)
                await #expect(throws: CurlError.self) { try await client.execute(CurlRequest(url: "\(base)/bytes/2048")) }
                let got = try await client.execute(CurlRequest(url: "\(base)/n/\(round)"))
                #expect(got.status == 200)
                #expect(String(decoding: got.body, as: UTF8.self) == "value-\(round)")
                #expect(got.header("x-seen-method") == nil)
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
