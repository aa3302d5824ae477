internal import Crypto
internal import Foundation
internal import JWTKit

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
