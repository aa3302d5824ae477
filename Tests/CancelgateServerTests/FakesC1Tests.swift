import CancelgateFakes
import Foundation
import HummingbirdTesting
import JWTKit
import Testing

@Suite struct FakesC1Tests {
    static func terminate(_ id: String) -> String { "/c1/api/v1/automation_executions/\(FakesHarness.segment(id))/actions/terminate" }

    /// The Go SDK's assertion: EdDSA, `nonce` in the protected header, whole-second dates.
    struct Assertion: JWTPayload {
        var iss: IssuerClaim, sub: SubjectClaim, aud: AudienceClaim, exp: ExpirationClaim, nbf: NotBeforeClaim, iat: IssuedAtClaim
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func assertion(_ credentials: FakeCredentials, audience: String = "127.0.0.1", lifetime: TimeInterval = 120) async throws -> String {
        let encoded = String(credentials.c1ClientSecret.split(separator: ":").last!).replacing("-", with: "+").replacing("_", with: "/")
        let padded = encoded + String(repeating: "=", count: (4 - encoded.count % 4) % 4)
        let jwk = try JSONSerialization.jsonObject(with: try #require(Data(base64Encoded: padded))) as? [String: String]
        let keys = await JWTKeyCollection().add(eddsa: try EdDSA.PrivateKey(d: try #require(jwk?["d"]), curve: .ed25519))
        let now = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        let id = credentials.c1ClientID
        let claims = Assertion(
            iss: .init(value: id), sub: .init(value: id), aud: .init(value: [audience]), exp: .init(value: now + lifetime),
            nbf: .init(value: now - 120), iat: .init(value: now))
        let nonce = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return try await keys.sign(claims, header: JWTHeader(fields: ["nonce": .string(nonce)]))
    }

    static func form(_ fields: [String: String]) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")
        return fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
    }

    static func token(_ h: FakesHarness, _ fields: [String: String]) async throws -> TestResponse {
        let all = fields.merging(["client_id": h.credentials.c1ClientID, "grant_type": "client_credentials"]) { a, _ in a }
        return try await h.post("/c1/auth/v1/token", ["Content-Type": "application/x-www-form-urlencoded"], body: form(all))
    }

    static let jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    @Test func tokenFromAssertionOpensTerminate() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.c1, id: "42", status: "PROCESS_STEP")
            let issued = try await Self.token(h, ["client_assertion_type": Self.jwtBearer, "client_assertion": try await Self.assertion(h.credentials)])
            #expect(issued.statusCode == 200 && issued.bodyJSON["token_type"] as? String == "Bearer" && issued.bodyJSON["expires_in"] as? Int == 600)
            let bearer = try #require(issued.bodyJSON["access_token"] as? String)
            let response = try await h.post(Self.terminate("42"), ["Authorization": "Bearer \(bearer)"], body: "{}")
            #expect(response.statusCode == 200 && response.bodyText == "{}")
            #expect(await h.state.status(.c1, id: "42") == "TERMINATE")
            #expect(await h.state.tokensIssued() == 1)
        }
    }

    @Test func tokenFromPlainSecretAndRefusals() async throws {
        try await FakesHarness.run { h in
            #expect(try await Self.token(h, ["client_secret": h.credentials.c1PlainSecret]).statusCode == 200)
            let refused = [
                ["client_secret": "wrong"],
                ["client_assertion_type": Self.jwtBearer, "client_assertion": try await Self.assertion(h.credentials, audience: "other.host")],
                ["client_assertion_type": Self.jwtBearer, "client_assertion": try await Self.assertion(h.credentials, lifetime: 600)],
                ["client_assertion_type": Self.jwtBearer, "client_assertion": try await Self.assertion(.generate())],
            ]
            for fields in refused {
                let response = try await Self.token(h, fields)
                #expect(response.statusCode == 401 && response.bodyJSON["error"] as? String == "invalid_client")
            }
            #expect(await h.state.tokensIssued() == 1)
        }
    }

    @Test func terminateAnswers() async throws {
        var credentials = FakeCredentials.generate()
        credentials.c1TokenLifetime = 0
        try await FakesHarness.run(credentials: credentials) { h in
            await h.state.seed(.c1, id: "1", status: "WAITING")
            await h.state.seed(.c1, id: "2", status: "FORBIDDEN")
            let expired = try #require(try await Self.token(h, ["client_secret": h.credentials.c1PlainSecret]).bodyJSON["access_token"] as? String)
            for headers in [[:], ["Authorization": "Bearer \(expired)"]] {
                let response = try await h.post(Self.terminate("1"), headers, body: "{}")
                #expect(response.statusCode == 401 && response.bodyJSON["code"] as? Int == 16 && response.bodyJSON["message"] as? String == "unauthenticated")
            }
            let answers = [("1", 200), ("2", 403), ("3", 404), ("x1", 400)]
            for (id, status) in answers {
                #expect(try await h.post(Self.terminate(id), h.c1Static, body: "{}").statusCode == status)
            }
            #expect(try await h.post(Self.terminate("2"), h.c1Static, body: "{}").bodyJSON["code"] as? Int == 7)
            #expect(await h.state.status(.c1, id: "1") == "TERMINATE")
            #expect(await h.state.cancellations(.c1, id: "1") == 1)
        }
    }
}
