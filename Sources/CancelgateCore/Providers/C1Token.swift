internal import CurlClient
internal import Foundation

/// C1's OAuth2 client-credentials flow (conductorone-sdk-go `token_source.go`, BEHAVIOR.md):
/// a form POST to the token URL with an Ed25519-signed JWT assertion when the secret is a
/// `secret-token:…:v1:<JWK>`, or the plain `client_secret` otherwise. The token is cached until
/// `refreshMargin` before it expires. One fetch at a time serves every caller that needs a token:
/// it belongs to no request (a request that started it and then ended does not cancel it), and
/// each caller stops waiting when its own task is cancelled (its request's deadline).
///
/// `@unchecked Sendable`: every stored `var` is read and written only under `lock` (NSLock, as in
/// `AsyncSemaphore`); the fetch itself runs outside the lock.
final class C1TokenSource: @unchecked Sendable {
    enum Failure: Error, Sendable, Equatable {
        /// The endpoint could not be reached, failed, or answered something unreadable.
        case unavailable(String)
        /// The endpoint refused the credentials (or the secret cannot sign an assertion).
        case refused(String)
        /// The caller's task was cancelled while it waited.
        case cancelled

        var attemptFailure: AttemptFailure {
            switch self {
            case .unavailable(let message): .tokenUnavailable(message)
            case .refused(let message): .tokenRefused(message)
            case .cancelled: .cancelled
            }
        }
    }

    static let refreshMargin: Duration = .seconds(30)
    static let fetchTimeout: Duration = .seconds(10)

    private let tokenURL: String
    private let clientID: String
    private let clientSecret: Secret
    private let transport: any HTTPTransport
    private let clock: UpstreamClock
    private let onFetch: @Sendable (_ succeeded: Bool) -> Void

    private let lock = NSLock()
    private var token: (value: String, expires: ContinuousClock.Instant)?
    private var fetching = false
    private var waiters: [UInt64: CheckedContinuation<Result<String, Failure>, Never>] = [:]
    private var cancelledEarly: Set<UInt64> = []
    private var nextWaiter: UInt64 = 0
    private var fetchCount = 0

    init(
        tokenURL: String, clientID: String, clientSecret: Secret, transport: any HTTPTransport, clock: UpstreamClock = .continuous,
        onFetch: @escaping @Sendable (_ succeeded: Bool) -> Void = { _ in }
    ) {
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.transport = transport
        self.clock = clock
        self.onFetch = onFetch
    }

    /// Token requests sent so far.
    var fetches: Int { lock.withLock { fetchCount } }

    /// Whether this source serves the same credentials (a reload keeps the source then).
    func serves(tokenURL: String, clientID: String, clientSecret: Secret) -> Bool {
        self.tokenURL == tokenURL && self.clientID == clientID && self.clientSecret.revealed == clientSecret.revealed
    }

    /// A valid access token, fetched when none is cached or `invalidating` is the one just refused.
    func accessToken(invalidating refused: String? = nil) async -> Result<String, Failure> {
        let id: UInt64 = lock.withLock {
            if let refused, token?.value == refused { token = nil }
            nextWaiter += 1
            return nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<String, Failure>, Never>) in
                enum Step { case answer(Result<String, Failure>), wait, fetch }
                let now = clock.now
                let step: Step = lock.withLock {
                    if cancelledEarly.remove(id) != nil { return .answer(.failure(.cancelled)) }
                    if let token, now < token.expires { return .answer(.success(token.value)) }
                    waiters[id] = continuation
                    guard !fetching else { return .wait }
                    fetching = true
                    return .fetch
                }
                switch step {
                case .answer(let result): continuation.resume(returning: result)
                case .wait: break
                // Unstructured on purpose: the fetch serves every waiter, so no one request's
                // cancellation may end it; it ends by itself within `fetchTimeout`.
                case .fetch: Task { await self.runFetch() }
                }
            }
        } onCancel: {
            let waiter: CheckedContinuation<Result<String, Failure>, Never>? = lock.withLock {
                if let waiter = waiters.removeValue(forKey: id) { return waiter }
                cancelledEarly.insert(id)
                return nil
            }
            waiter?.resume(returning: .failure(.cancelled))
        }
    }

    private func runFetch() async {
        let result = await fetch()
        let now = clock.now
        let served: [CheckedContinuation<Result<String, Failure>, Never>] = lock.withLock {
            if case .success(let fetched) = result { token = (fetched.value, now + fetched.lifetime) }
            fetching = false
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        if case .success = result { onFetch(true) } else { onFetch(false) }
        for waiter in served { waiter.resume(returning: result.map(\.value)) }
    }

    private func fetch() async -> Result<(value: String, lifetime: Duration), Failure> {
        lock.withLock { fetchCount += 1 }
        let form: String
        do {
            form = try await formBody()
        } catch {
            return .failure(.refused("The C1 client secret could not be used to sign an assertion."))
        }
        let request = CurlRequest(
            method: "POST", url: tokenURL,
            headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Accept", "application/json")],
            body: Data(form.utf8), timeout: Self.fetchTimeout)
        let response: CurlResponse
        do throws(CurlError) {
            response = try await transport.execute(request)
        } catch {
            return .failure(.unavailable("C1's token endpoint could not be reached (\(error.kind.rawValue))."))
        }
        struct Answer: Decodable {
            let access_token: String
            let expires_in: Int?
        }
        switch response.status {
        case 200:
            guard let answer = try? JSONDecoder().decode(Answer.self, from: response.body) else {
                return .failure(.unavailable("C1's token endpoint answered HTTP 200 with a body the gateway cannot read."))
            }
            let lifetime = Duration.seconds(answer.expires_in ?? 600)
            return .success((answer.access_token, max(lifetime - Self.refreshMargin, lifetime / 2)))
        case 400, 401, 403:
            return .failure(.refused("C1's token endpoint refused the client credentials (HTTP \(response.status))."))
        default:
            return .failure(.unavailable("C1's token endpoint answered HTTP \(response.status)."))
        }
    }

    private func formBody() async throws -> String {
        var fields = [("client_id", clientID), ("grant_type", "client_credentials")]
        if let jwk = C1Assertion.jwk(fromSecret: clientSecret.revealed) {
            let assertion = try await C1Assertion.sign(jwk: jwk, clientID: clientID, audience: C1Assertion.audience(clientID: clientID, tokenURL: tokenURL))
            fields += [
                ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
                ("client_assertion", assertion),
            ]
        } else {
            fields.append(("client_secret", clientSecret.revealed))
        }
        return fields.map { "\($0.0)=\(FormEncoding.encode($0.1))" }.joined(separator: "&")
    }
}
