import CancelgateFakes
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Shared helpers for the Fakes*Tests suites: one fake server per test, JSON in and out.
struct FakesHarness: Sendable {
    let fakes: FakeUpstreams
    let client: any TestClientProtocol

    /// Runs `body` against a fresh fakes app (`.router` unless a real socket matters).
    static func run(
        _ setup: TestingSetup = .router,
        credentials: FakeCredentials = .generate(),
        _ body: @Sendable (FakesHarness) async throws -> Void
    ) async throws {
        let fakes = FakeUpstreams(credentials: credentials)
        try await fakes.buildApplication().test(setup) { client in
            try await body(FakesHarness(fakes: fakes, client: client))
        }
    }

    var state: FakeState { fakes.state }
    var credentials: FakeCredentials { fakes.credentials }

    /// POSTs `body` (a JSON string, or nothing) to `path` with the given header fields.
    func post(_ path: String, _ headers: [String: String] = [:], body: String? = nil) async throws -> TestResponse {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        if body != nil, fields[.contentType] == nil { fields[.contentType] = "application/json" }
        return try await client.execute(uri: path, method: .post, headers: fields, body: body.map { ByteBuffer(string: $0) })
    }

    var kubiyaAuth: [String: String] { ["Authorization": "Bearer \(credentials.kubiyaToken)"] }
    var skyvernAuth: [String: String] { ["x-api-key": credentials.skyvernKey] }
    var meibelAuth: [String: String] { ["Meibel-API-Key": credentials.meibelKey] }
    var c1Static: [String: String] { ["Authorization": "Bearer \(credentials.c1StaticToken)"] }
}

extension TestResponse {
    var bodyText: String { String(buffer: body) }
    var bodyJSON: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView))) as? [String: Any] ?? [:] }
    var statusCode: Int { status.code }
    /// FastAPI's `{"detail": "..."}` text, or the first validation item's `type`.
    var fastAPIDetail: String? {
        (bodyJSON["detail"] as? String) ?? ((bodyJSON["detail"] as? [[String: Any]])?.first?["type"] as? String)
    }
}

extension FakesHarness {
    static func jsonList(_ values: [String]) -> String {
        "[" + values.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }

    /// Percent-encodes an ID as one path segment, as the gateway does (only ASCII letters, digits, `-_~` stay).
    static func segment(_ id: String) -> String {
        let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~")
        return id.addingPercentEncoding(withAllowedCharacters: unreserved) ?? id
    }
}
