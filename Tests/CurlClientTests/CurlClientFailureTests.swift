import CurlClient
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `request` and returns its `CurlError`, recording an issue if it succeeded.
func expectFailure(_ client: CurlClient, _ request: CurlRequest) async -> CurlError? {
    do throws(CurlError) {
        let response = try await client.execute(request)
        Issue.record("expected an error, got status \(response.status)")
        return nil
    } catch {
        return error
    }
}

@Suite("CurlClient failures")
struct CurlClientFailureTests {
    @Test("a handler slower than the timeout gives .timeout with requestSent")
    func timeout() async throws {
        try await withTestServer { client, base in
            let error = await expectFailure(client, CurlRequest(url: "\(base)/hold", timeout: .milliseconds(300)))
            #expect(error?.kind == .timeout)
            #expect(error?.requestSent == true)
            #expect(error?.call == "transfer")
        }
    }

    @Test("a refused connection gives .connectFailed without requestSent")
    func connectionRefused() async throws {
        let (descriptor, port) = try refusingPort()
        defer { close(descriptor) }
        let client = try CurlClient()
        defer { client.shutdown() }
        let error = await expectFailure(client, CurlRequest(url: "http://127.0.0.1:\(port)/", timeout: .seconds(10)))
        #expect(error?.kind == .connectFailed)
        #expect(error?.requestSent == false)
    }

    @Test("a body over maxResponseBytes gives .responseTooLarge")
    func responseTooLarge() async throws {
        var configuration = CurlClientConfiguration()
        configuration.maxResponseBytes = 1024
        try await withTestServer(configuration: configuration) { client, base in
            let error = await expectFailure(client, CurlRequest(url: "\(base)/bytes/65536"))
            #expect(error?.kind == .responseTooLarge)
            #expect(error?.requestSent == true)
            // The client keeps working.
            let response = try await client.execute(CurlRequest(url: "\(base)/bytes/10"))
            #expect(response.body.count == 10)
        }
    }

    @Test(
        "malformed URLs and other schemes give .invalidURL",
        arguments: ["not a url", "http://", "file:///etc/passwd", "ftp://127.0.0.1/file", "gopher://127.0.0.1/"]
    )
    func invalidURL(url: String) async throws {
        let client = try CurlClient()
        defer { client.shutdown() }
        let error = await expectFailure(client, CurlRequest(url: url))
        #expect(error?.kind == .invalidURL)
        #expect(error?.requestSent == false)
    }

    @Test(
        "a header field that could split the request is refused before anything is sent",
        arguments: [
            HTTPHeader("X-Evil", "a\r\nHost: elsewhere"), HTTPHeader("X-Evil", "a\nb"), HTTPHeader("X-Evil", "a\rb"),
            HTTPHeader("X-Evil: b", "c"), HTTPHeader("", "c"),
        ]
    )
    func headerInjection(header: HTTPHeader) async throws {
        let client = try CurlClient()
        defer { client.shutdown() }
        let request = CurlRequest(url: "http://127.0.0.1:1/", headers: [header])
        let error = await expectFailure(client, request)
        #expect(error?.kind == .other)
        #expect(error?.requestSent == false)
    }

    @Test("the error message does not quote the URL's query")
    func messageHasNoQuery() async throws {
        let client = try CurlClient()
        defer { client.shutdown() }
        let error = await expectFailure(client, CurlRequest(url: "gopher://127.0.0.1/?token=secret-value"))
        #expect(error?.kind == .invalidURL)
        #expect(error?.message.contains("secret-value") == false)
        #expect(error?.description.contains("secret-value") == false)
    }
}
