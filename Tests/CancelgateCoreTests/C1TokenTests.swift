import CancelgateWire
import CurlClient
import Foundation
import Logging
import Testing

@testable import CancelgateCore

/// NSLock rather than Synchronization.Mutex, which the thread sanitizer cannot see through on Linux.
final class LockedCounts<Value>: @unchecked Sendable {  // unchecked: `value` is only touched under `lock`
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// C1's OAuth2 flow against a stub transport: one token fetch for many simultaneous calls, and a
/// 401 refreshes once and retries.
@Suite struct C1TokenTests {
    final class StubC1: HTTPTransport {
        struct Counts { var tokens = 0; var terminates = 0; var rejectNextWith401 = 0; var forms: [String] = [] }
        let counts = LockedCounts(Counts())

        func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
            if request.url.hasSuffix("/auth/v1/token") {
                let n = counts.withLock { c in
                    c.tokens += 1
                    c.forms.append(String(decoding: request.body ?? Data(), as: UTF8.self))
                    return c.tokens
                }
                try? await Task.sleep(for: .milliseconds(20))  // let the other callers pile up behind the fetch
                return CurlResponse(status: 200, headers: [], body: Data(#"{"access_token":"t\#(n)","token_type":"Bearer","expires_in":600}"#.utf8))
            }
            let reject = counts.withLock { c in
                c.terminates += 1
                if c.rejectNextWith401 > 0 { c.rejectNextWith401 -= 1; return true }
                return false
            }
            let auth = request.headers.first { $0.name == "Authorization" }?.value ?? ""
            return CurlResponse(status: reject || !auth.hasPrefix("Bearer t") ? 401 : 200, headers: [], body: Data("{}".utf8))
        }
    }

    static let secret =
        "secret-token:conductorone.com:v1:eyJrdHkiOiJPS1AiLCJjcnYiOiJFZDI1NTE5IiwieCI6IjExcVlBWUt4Q3JmVlNfN1R5V1FIT2c3aGN2UGFwaU1scndJYWFQY0hVUm8iLCJkIjoiblduQnlrYkN1c3JyTTNnenlWVDItSDE1YnhVRTh0RElJcXZmQWl4d0ZxVSJ9"

    func service(_ stub: StubC1, secret: String = Self.secret) -> CancelService {
        let upstream = UpstreamConfig(
            name: "c1", provider: .c1, baseURL: "https://tenant.conductor.one",
            auth: .oauth2ClientCredentials(tokenURL: "/auth/v1/token", clientID: "abc@tenant.conductor.one/pcc", clientSecret: Secret(secret)),
            concurrency: 16)
        return CancelService(config: RoutesConfig(upstreams: [upstream]), transport: stub)
    }

    @Test func manyCallsShareOneTokenFetch() async throws {
        let stub = StubC1()
        let ids = (1...40).map { CancelEntry(id: String($0), upstream: "c1") }
        let report = await service(stub).cancel(CancelRequest(requestID: "r", reason: "x", entries: ids), logger: Logger(label: "t"))
        #expect(report.results.allSatisfy { $0.outcome == .cancelRequested })
        let counts = stub.counts.withLock { $0 }
        #expect(counts.tokens == 1)
        #expect(counts.terminates == 40)
        let form = try #require(counts.forms.first)
        #expect(form.contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"))
        #expect(form.contains("client_assertion=ey"))
        #expect(!form.contains("client_secret="))
    }

    @Test func a401RefreshesOnceAndRetries() async throws {
        let stub = StubC1()
        let service = service(stub)
        _ = await service.cancel(CancelRequest(requestID: "r", reason: "x", entries: [CancelEntry(id: "1", upstream: "c1")]), logger: Logger(label: "t"))
        stub.counts.withLock { $0.rejectNextWith401 = 1 }
        let report = await service.cancel(CancelRequest(requestID: "r", reason: "x", entries: [CancelEntry(id: "2", upstream: "c1")]), logger: Logger(label: "t"))
        #expect(report.results[0].outcome == .cancelRequested)
        #expect(stub.counts.withLock { $0.tokens } == 2)

        stub.counts.withLock { $0.rejectNextWith401 = 2 }
        let refused = await service.cancel(CancelRequest(requestID: "r", reason: "x", entries: [CancelEntry(id: "3", upstream: "c1")]), logger: Logger(label: "t"))
        #expect(refused.results[0].error?.code == .upstreamAuthFailed, "a second 401 is not retried again")
        #expect(stub.counts.withLock { $0.tokens } == 3)
    }

    @Test func plainSecretIsSentAsClientSecret() async throws {
        let stub = StubC1()
        _ = await service(stub, secret: "plain-secret-value").cancel(
            CancelRequest(requestID: "r", reason: "x", entries: [CancelEntry(id: "1", upstream: "c1")]), logger: Logger(label: "t"))
        let form = try #require(stub.counts.withLock { $0.forms.first })
        #expect(form.contains("client_secret=plain-secret-value"))
        #expect(!form.contains("client_assertion"))
    }

    @Test func audienceComesFromTheClientID() {
        #expect(C1Assertion.audience(clientID: "abc@tenant.conductor.one/pcc", tokenURL: "https://x/auth") == "tenant.conductor.one")
        #expect(C1Assertion.audience(clientID: "abc@127.0.0.1:8443/pcc", tokenURL: "https://x/auth") == "127.0.0.1")
        #expect(C1Assertion.audience(clientID: "plain", tokenURL: "https://tenant.example:9000/auth") == "tenant.example")
    }
}
