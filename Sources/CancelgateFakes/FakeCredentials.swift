import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The secrets the fakes accept. `generate()` makes a fresh set; fields can be edited before the server starts.
public struct FakeCredentials: Sendable {
    public var kubiyaToken: String
    public var skyvernKey: String
    public var meibelKey: String
    /// `<random>@<tenant host>/pcc`: the assertion's `aud` must name the host between `@` and `/`.
    public var c1ClientID: String
    /// `secret-token:conductorone.com:v1:<base64url of the JWK {kty:OKP,crv:Ed25519,x,d}>`.
    public var c1ClientSecret: String
    /// Also accepted as a plain `client_secret` form field instead of an assertion.
    public var c1PlainSecret: String
    /// A static bearer the terminate endpoint also accepts.
    public var c1StaticToken: String
    /// `expires_in` seconds for issued tokens.
    public var c1TokenLifetime: Int

    public init(
        kubiyaToken: String,
        skyvernKey: String,
        meibelKey: String,
        c1ClientID: String,
        c1ClientSecret: String,
        c1PlainSecret: String,
        c1StaticToken: String,
        c1TokenLifetime: Int = 600
    ) {
        self.kubiyaToken = kubiyaToken
        self.skyvernKey = skyvernKey
        self.meibelKey = meibelKey
        self.c1ClientID = c1ClientID
        self.c1ClientSecret = c1ClientSecret
        self.c1PlainSecret = c1PlainSecret
        self.c1StaticToken = c1StaticToken
        self.c1TokenLifetime = c1TokenLifetime
    }

    /// Fresh random tokens and a fresh Ed25519 key for C1's client secret; tenant host `127.0.0.1`.
    public static func generate() -> FakeCredentials {
        let key = Curve25519.Signing.PrivateKey()
        return FakeCredentials(
            kubiyaToken: "kby_" + randomHex(bytes: 24),
            skyvernKey: "sk_" + randomHex(bytes: 24),
            meibelKey: "mbl_" + randomHex(bytes: 24),
            c1ClientID: "fake-\(randomHex(bytes: 6))@127.0.0.1/pcc",
            c1ClientSecret: c1Secret(for: key),
            c1PlainSecret: "plain-" + randomHex(bytes: 24),
            c1StaticToken: "c1static_" + randomHex(bytes: 24)
        )
    }

    /// The tenant host named by the client ID (between `@` and the next `/`), if any.
    var c1TenantHost: String? {
        guard let at = c1ClientID.firstIndex(of: "@") else { return nil }
        let rest = c1ClientID[c1ClientID.index(after: at)...]
        return String(rest.prefix { $0 != "/" })
    }

    static func c1Secret(for key: Curve25519.Signing.PrivateKey) -> String {
        let x = base64URL(key.publicKey.rawRepresentation)
        let d = base64URL(key.rawRepresentation)
        let jwk = #"{"kty":"OKP","crv":"Ed25519","x":"\#(x)","d":"\#(d)"}"#
        return c1SecretPrefix + base64URL(Data(jwk.utf8))
    }

    static let c1SecretPrefix = "secret-token:conductorone.com:v1:"
}

func randomHex(bytes: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<bytes).map { _ in
        let byte = UInt8.random(in: 0...255, using: &generator)
        return String(byte, radix: 16).leftPadded(to: 2)
    }.joined()
}

func base64URL(_ data: Data) -> String {
    data.base64EncodedString()
        .replacing("+", with: "-")
        .replacing("/", with: "_")
        .replacing("=", with: "")
}

/// Decodes base64url with or without `=` padding (C1 secrets are seen both ways).
func base64URLDecode(_ string: String) -> Data? {
    var text = string.replacing("-", with: "+").replacing("_", with: "/")
    text = text.replacing("=", with: "")
    text += String(repeating: "=", count: (4 - text.count % 4) % 4)
    return Data(base64Encoded: text)
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
