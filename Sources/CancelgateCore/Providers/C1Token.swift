internal import Crypto
public import CurlClient
internal import Foundation
internal import JWTKit

/// C1's OAuth2 client-credentials flow (conductorone-sdk-go `token_source.go`, BEHAVIOR.md):
/// a form POST to the token URL with an Ed25519-signed JWT assertion when the secret is a
/// `secret-token:…:v1:<JWK>`, or the plain `client_secret` otherwise. The token is cached until
/// `refreshMargin` before it expires; callers arriving while a fetch runs wait for that fetch.
public actor C1TokenSource {
    public struct Failure: Error, Sendable {
        public let status: Int?
        public let message: String
    }

    static let refreshMargin: Duration = .seconds(30)

    private let tokenURL: String
    private let clientID: String
    private let clientSecret: Secret
    private let send: @Sendable (CurlRequest) async -> CallResult
    private let onFetch: @Sendable (_ succeeded: Bool) -> Void
    private var token: (value: String, expires: ContinuousClock.Instant)?
    private var waiters: [CheckedContinuation<Result<String, Failure>, Never>] = []
    private var fetching = false
    public private(set) var fetches = 0

    public init(
        tokenURL: String, clientID: String, clientSecret: Secret, send: @escaping @Sendable (CurlRequest) async -> CallResult,
        onFetch: @escaping @Sendable (_ succeeded: Bool) -> Void = { _ in }
    ) {
        self.onFetch = onFetch
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.send = send
    }

    /// A valid access token, fetched when none is cached or `invalidating` is the one just refused.
    public func accessToken(invalidating refused: String? = nil) async -> Result<String, Failure> {
        if let refused, token?.value == refused { token = nil }
        if let token, ContinuousClock.now < token.expires { return .success(token.value) }
        if fetching {
            return await withCheckedContinuation { waiters.append($0) }
        }
        fetching = true
        let result = await fetch()
        fetching = false
        if case .success = result { onFetch(true) } else { onFetch(false) }
        for waiter in waiters { waiter.resume(returning: result) }
        waiters.removeAll()
        return result
    }

    private func fetch() async -> Result<String, Failure> {
        fetches += 1
        let form: String
        do {
            form = try await formBody()
        } catch {
            return .failure(Failure(status: nil, message: "The C1 client secret could not be used to sign an assertion."))
        }
        let request = CurlRequest(
            method: "POST", url: tokenURL,
            headers: [HTTPHeader("Content-Type", "application/x-www-form-urlencoded"), HTTPHeader("Accept", "application/json")],
            body: Data(form.utf8), timeout: .seconds(10))
        switch await send(request) {
        case .failure(let error):
            return .failure(Failure(status: nil, message: "The C1 token endpoint could not be reached (\(error.kind.rawValue))."))
        case .success(let response):
            struct Answer: Decodable {
                let access_token: String
                let expires_in: Int?
            }
            guard response.status == 200, let answer = try? JSONDecoder().decode(Answer.self, from: response.body) else {
                return .failure(Failure(status: response.status, message: "The C1 token endpoint refused the client credentials (HTTP \(response.status))."))
            }
            let lifetime = Duration.seconds(answer.expires_in ?? 600)
            token = (answer.access_token, ContinuousClock.now + max(lifetime - Self.refreshMargin, lifetime / 2))
            return .success(answer.access_token)
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

enum FormEncoding {
    private static let allowed: CharacterSet = {
        var set = CharacterSet()
        set.insert(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
        return set
    }()

    static func encode(_ value: String) -> String { value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }
}

/// The Go SDK's client assertion: header {"alg":"EdDSA","typ":"JWT","nonce":<32 hex>}, claims
/// iss = sub = client ID, aud = [tenant host], iat = now, nbf = now − 2 min, exp = now + 2 min,
/// in whole seconds.
enum C1Assertion {
    struct JWK: Decodable {
        let kty: String
        let crv: String
        let d: String
    }

    struct Claims: JWTPayload {
        let iss: IssuerClaim
        let sub: SubjectClaim
        let aud: AudienceClaim
        let iat: IssuedAtClaim
        let nbf: NotBeforeClaim
        let exp: ExpirationClaim

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
        }
    }

    /// The JWK inside `secret-token:<issuer>:v1:<base64url JWK>`, padded or not; nil for a plain secret.
    static func jwk(fromSecret secret: String) -> JWK? {
        guard secret.hasPrefix("secret-token:"), let encoded = secret.split(separator: ":").last else { return nil }
        guard let data = base64URLDecode(String(encoded)), let jwk = try? JSONDecoder().decode(JWK.self, from: data),
            jwk.kty == "OKP", jwk.crv == "Ed25519"
        else { return nil }
        return jwk
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 = base64.trimmingCharacters(in: CharacterSet(charactersIn: "="))
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }

    /// The tenant host: from the client ID (`<random>@<host>/<pcc|spc>`), else the token URL's host.
    static func audience(clientID: String, tokenURL: String) -> String {
        if let at = clientID.firstIndex(of: "@") {
            let host = clientID[clientID.index(after: at)...].prefix { $0 != "/" }
            if !host.isEmpty { return String(host.split(separator: ":").first ?? host) }
        }
        return URLComponents(string: tokenURL)?.host ?? ""
    }

    static func sign(jwk: JWK, clientID: String, audience: String, now: Date = Date()) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(eddsa: try EdDSA.PrivateKey(d: jwk.d.trimmingCharacters(in: CharacterSet(charactersIn: "=")), curve: .ed25519))
        let seconds = now.timeIntervalSince1970.rounded(.down)
        let claims = Claims(
            iss: IssuerClaim(value: clientID), sub: SubjectClaim(value: clientID), aud: AudienceClaim(value: [audience]),
            iat: IssuedAtClaim(value: Date(timeIntervalSince1970: seconds)),
            nbf: NotBeforeClaim(value: Date(timeIntervalSince1970: seconds - 120)),
            exp: ExpirationClaim(value: Date(timeIntervalSince1970: seconds + 120)))
        let nonce = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return try await keys.sign(claims, header: ["nonce": .string(nonce)])
    }
}
