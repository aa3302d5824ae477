import CancelgateWire
@testable import CurlClient
import Foundation
import Logging
import Testing

@testable import CancelgateCore

/// When C1's token cannot be had, items say so without an HTTP status C1 never sent; a shared
/// fetch outlives the request that started it; a reload keeps the token.
@Suite struct C1TokenFailureTests {
    /// The token endpoint answers as told (or cannot be reached); terminate answers 200.
    final class TokenEndpoint: HTTPTransport {
        enum Answer { case status(Int), unreadable, unreachable }
        let answer: Answer
        let tokens = LockedCounts(0)
        init(_ answer: Answer) { self.answer = answer }

        func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
            guard request.url.hasSuffix("/auth/v1/token") else { return CurlResponse(status: 200, body: Data("{}".utf8)) }
            tokens.withLock { $0 += 1 }
            switch answer {
            case .unreachable: throw CurlError(kind: .connectFailed, code: 7, call: "transfer", message: "refused")
            case .unreadable: return CurlResponse(status: 200, body: Data("<html>".utf8))
            case .status(let status):
                return CurlResponse(status: status, body: Data(#"{"access_token":"tok","token_type":"Bearer","expires_in":600}"#.utf8))
            }
        }
    }

    static func upstream(secret: String = "plain-secret") -> UpstreamConfig {
        UpstreamConfig(
            name: "c1", provider: .c1, baseURL: "https://tenant.conductor.one",
            auth: .oauth2ClientCredentials(tokenURL: "/auth/v1/token", clientID: "abc@tenant.conductor.one/pcc", clientSecret: Secret(secret)),
            retry: RetryConfig(maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1))
    }

    static func cancel(_ service: CancelService, _ id: String = "1") async -> ItemResult {
        await service.cancel(CancelRequest(requestID: "r", reason: "x", entries: [CancelEntry(id: id, upstream: "c1")]), logger: Logger(label: "t"))
            .results[0]
    }

    @Test(arguments: [TokenEndpoint.Answer.status(503), .status(500), .unreadable, .unreachable])
    func anUnavailableTokenEndpointIsTokenUnavailableWithoutAnHTTPStatus(answer: TokenEndpoint.Answer) async {
        let endpoint = TokenEndpoint(answer)
        let result = await Self.cancel(CancelService(config: RoutesConfig(upstreams: [Self.upstream()]), transport: endpoint))
        #expect(result.outcome == .failed)
        #expect(result.error?.code == .tokenUnavailable)
        #expect(result.retryable)
        #expect(result.httpStatus == nil, "C1 itself never answered")
        #expect(result.attempts == 0, "nothing was sent to C1")
        #expect(endpoint.tokens.withLock { $0 } == 2, "the token is asked for again on the retry")
    }

    @Test(arguments: [400, 401, 403])
    func refusedCredentialsAreAnAuthFailureWithoutAnHTTPStatus(status: Int) async {
        let endpoint = TokenEndpoint(.status(status))
        let result = await Self.cancel(CancelService(config: RoutesConfig(upstreams: [Self.upstream()]), transport: endpoint))
        #expect(result.error?.code == .upstreamAuthFailed)
        #expect(!result.retryable)
        #expect(result.httpStatus == nil)
        #expect(result.error?.message.contains("HTTP \(status)") == true)
        #expect(endpoint.tokens.withLock { $0 } == 1, "refused credentials are not asked again")
    }

    /// A secret that cannot sign says so: the token endpoint was never asked, so it did not refuse anything.
    @Test func aSecretThatCannotSignIsAnAuthFailureThatSaysSo() async {
        let endpoint = TokenEndpoint(.status(200))
        let secret = "secret-token:conductorone.com:v1:eyJrdHkiOiAiT0tQIiwgImNydiI6ICJFZDI1NTE5IiwgIngiOiAiQUEiLCAiZCI6ICJBQSJ9"
        let result = await Self.cancel(CancelService(config: RoutesConfig(upstreams: [Self.upstream(secret: secret)]), transport: endpoint))
        #expect(result.error?.code == .upstreamAuthFailed)
        #expect(result.httpStatus == nil)
        #expect(result.error?.message.contains("could not be used to sign") == true, "\(result.error?.message ?? "")")
        #expect(endpoint.tokens.withLock { $0 } == 0)
    }

    /// Holds every token request until `release()`; tells when one arrived.
    final class HeldTokenEndpoint: HTTPTransport, @unchecked Sendable {  // unchecked: `held` only under `lock`
        private let lock = NSLock()
        private var held: [CheckedContinuation<Void, Never>] = []
        let fetches = LockedCounts(0)
        let arrivals = AsyncStream<Void>.makeStream()

        func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
            fetches.withLock { $0 += 1 }
            await withCheckedContinuation { continuation in
                lock.withLock { held.append(continuation) }
                arrivals.continuation.yield()
            }
            return CurlResponse(status: 200, body: Data(#"{"access_token":"t1","expires_in":600}"#.utf8))
        }

        func release() {
            for waiter in lock.withLock({ held }) { waiter.resume() }
        }
    }

    @Test func waitersStopAtTheirOwnCancellationAndTheFetchOutlivesItsStarter() async {
        let endpoint = HeldTokenEndpoint()
        let source = C1TokenSource(tokenURL: "https://t/auth/v1/token", clientID: "abc@t/pcc", clientSecret: Secret("plain"), transport: endpoint)
        let starter = Task { await source.accessToken() }
        var arrivals = endpoint.arrivals.stream.makeAsyncIterator()
        _ = await arrivals.next()
        let waiter = Task { await source.accessToken() }
        waiter.cancel()
        #expect(await waiter.value == .failure(.cancelled), "a waiter stops waiting while the fetch goes on")
        starter.cancel()
        #expect(await starter.value == .failure(.cancelled), "so does the request that started it")
        endpoint.release()
        // The fetch was not cancelled with its starter: its token serves the next caller.
        #expect(await source.accessToken() == .success("t1"))
        #expect(endpoint.fetches.withLock { $0 } == 1)
    }

    @Test func aReloadKeepsTheTokenUnlessTheCredentialsChanged() async {
        let endpoint = TokenEndpoint(.status(200))
        let registry = UpstreamRegistry()
        let config = RoutesConfig(upstreams: [Self.upstream()])
        for id in ["1", "2"] {
            let service = CancelService(config: config, transport: endpoint, registry: registry)
            #expect(await Self.cancel(service, id).outcome == .cancelRequested)
        }
        #expect(endpoint.tokens.withLock { $0 } == 1, "a configuration built by a reload reuses the cached token")
        let rotated = CancelService(config: RoutesConfig(upstreams: [Self.upstream(secret: "rotated")]), transport: endpoint, registry: registry)
        #expect(await Self.cancel(rotated, "3").outcome == .cancelRequested)
        #expect(endpoint.tokens.withLock { $0 } == 2, "new credentials fetch their own token")
    }
}
