import Hummingbird
import JWTKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// C1's OAuth2 client-credentials endpoint (conductorone-sdk-go token_source.go):
//   not a form POST                       → 400 {"error":"invalid_request"}
//   grant_type ≠ client_credentials       → 400 {"error":"unsupported_grant_type"}
//   client_id ≠ ours, or neither a valid
//   jwt-bearer assertion nor the plain
//   client_secret                         → 401 {"error":"invalid_client"}
//   otherwise → {"access_token","token_type":"Bearer","expires_in": c1TokenLifetime}
// A valid assertion: EdDSA over the key in the client secret, protected header with alg EdDSA and a
// 32-hex-digit nonce, iss = sub = client_id, aud naming the tenant host, exp in the future and at most
// 5 minutes away, nbf and iat not in the future.
extension FakeUpstreams {
    private enum TokenVerdict {
        case issue, invalidRequest, unsupportedGrant, invalidClient
    }

    func c1Token(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let form = Self.formFields(try await body(of: request, context))
        let isForm = request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false
        let verdict: TokenVerdict =
            if !isForm {
                .invalidRequest
            } else if form["grant_type"] != "client_credentials" {
                .unsupportedGrant
            } else if await c1ClientAuthenticated(form) {
                .issue
            } else {
                .invalidClient
            }
        return try await serve(.c1, request, context, ids: [], authorized: verdict == .issue, faultable: false) {
            switch verdict {
            case .invalidRequest: return FakeResponse.json(400, .object([("error", .string("invalid_request"))]))
            case .unsupportedGrant: return FakeResponse.json(400, .object([("error", .string("unsupported_grant_type"))]))
            case .invalidClient: return FakeResponse.json(401, .object([("error", .string("invalid_client"))]))
            case .issue: break
            }
            let token = "c1at_" + randomHex(bytes: 24)
            await state.issueC1Token(token, lifetime: credentials.c1TokenLifetime)
            return FakeResponse.json(
                200,
                .object([
                    ("access_token", .string(token)), ("token_type", .string("Bearer")),
                    ("expires_in", .int(credentials.c1TokenLifetime)),
                ])
            )
        }
    }

    private func c1ClientAuthenticated(_ form: [String: String]) async -> Bool {
        guard form["client_id"] == credentials.c1ClientID else { return false }
        if let secret = form["client_secret"], secret == credentials.c1PlainSecret { return true }
        guard form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            let assertion = form["client_assertion"]
        else { return false }
        return await c1AssertionValid(assertion)
    }

    private func c1AssertionValid(_ assertion: String) async -> Bool {
        guard let host = credentials.c1TenantHost, let x = c1PublicX() else { return false }
        do {
            let header = try DefaultJWTParser().parse(Array(assertion.utf8), as: C1AssertionClaims.self).header
            guard header.fields["alg"]?.asString == "EdDSA",
                let nonce = header.fields["nonce"]?.asString,
                nonce.count == 32, nonce.allSatisfy(\.isHexDigit)
            else { return false }
            let keys = JWTKeyCollection()
            await keys.add(eddsa: try EdDSA.PublicKey(x: x, curve: .ed25519))
            let claims = try await keys.verify(assertion, as: C1AssertionClaims.self)
            return claims.acceptable(clientID: credentials.c1ClientID, host: host, now: Date())
        } catch {
            return false
        }
    }

    /// The public key `x` of the JWK inside the client secret.
    private func c1PublicX() -> String? {
        let secret = credentials.c1ClientSecret
        guard secret.hasPrefix(FakeCredentials.c1SecretPrefix),
            let jwk = base64URLDecode(String(secret.dropFirst(FakeCredentials.c1SecretPrefix.count)))
        else { return nil }
        return JSONValue.parse(jwk)?["x"]?.stringValue
    }

    /// `application/x-www-form-urlencoded` fields (`+` is a space); the first of a repeated name wins.
    static func formFields(_ bytes: [UInt8]) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(decoding: bytes, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecoded(parts[0].replacing("+", with: " "))
            let value = parts.count > 1 ? percentDecoded(parts[1].replacing("+", with: " ")) : ""
            if fields[name] == nil { fields[name] = value }
        }
        return fields
    }
}

/// The claims of C1's client assertion; checked against the client ID in `acceptable`.
struct C1AssertionClaims: JWTPayload {
    var iss: IssuerClaim
    var sub: SubjectClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?
    var iat: IssuedAtClaim?

    func verify(using algorithm: some JWTAlgorithm) async throws {}

    func acceptable(clientID: String, host: String, now: Date) -> Bool {
        let leeway: TimeInterval = 60
        guard iss.value == clientID, sub.value == clientID, aud.value.contains(host) else { return false }
        guard exp.value > now, exp.value <= now.addingTimeInterval(300 + 1) else { return false }
        if let nbf, nbf.value > now.addingTimeInterval(leeway) || nbf.value >= exp.value { return false }
        if let iat, iat.value > now.addingTimeInterval(leeway) { return false }
        return true
    }
}
