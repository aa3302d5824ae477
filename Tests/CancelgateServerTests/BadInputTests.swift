import CancelgateWire
import CancelgateCore
import CancelgateFakes
import Foundation
import HummingbirdTesting
import InMemoryLogging
import HTTPTypes
import Logging
import NIOCore
import Testing

/// Request-level errors are problem+json with the contract's status; no bad ID ever causes one.
@Suite struct BadInputTests {
    struct ProblemBody: Decodable {
        struct FieldError: Decodable { let pointer: String; let message: String }
        let type: String
        let title: String
        let status: Int
        let detail: String
        let errors: [FieldError]
    }

    static func problem(_ response: TestResponse, status: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> ProblemBody {
        #expect(response.status.code == status, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let body = try JSONDecoder().decode(ProblemBody.self, from: Data(response.body.readableBytesView))
        #expect(body.status == status, sourceLocation: sourceLocation)
        return body
    }

    @Test func envelopeErrors() async throws {
        var settings = GatewayHarness.Settings()
        settings.maxItems = 5
        try await GatewayHarness.run(settings) { h in
            _ = try Self.problem(try await h.post(#"{"ids": ["a", }"#), status: 400)
            _ = try Self.problem(try await h.post(""), status: 400)
            _ = try Self.problem(try await h.post(#"{"ids":["tsk_1"]}"#, contentType: "text/plain"), status: 415)
            _ = try Self.problem(try await h.post(#"{"ids":["tsk_1"]}"#, contentType: nil), status: 415)

            let wrongTypes = try Self.problem(try await h.post(#"{"ids": ["tsk_1", 7], "reason": 3, "items": [{"id": true}, "x"]}"#), status: 422)
            #expect(Set(wrongTypes.errors.map(\.pointer)) == ["/ids/1", "/reason", "/items/0/id", "/items/1"])

            let empty = try Self.problem(try await h.post(#"{"ids": []}"#), status: 422)
            #expect(empty.errors.map(\.pointer) == ["/ids"])
            _ = try Self.problem(try await h.post(#"{}"#), status: 422)
            _ = try Self.problem(try await h.post(#"["tsk_1"]"#), status: 422)

            let tooMany = try Self.problem(try await h.post(GatewayHarness.body(ids: (0..<6).map { "tsk_\($0)" })), status: 422)
            #expect(tooMany.errors.first?.message.contains("at most 5") == true)

            let reason = String(repeating: "r", count: 501)
            let longReason = try Self.problem(try await h.post(#"{"ids":["tsk_1"],"reason":"\#(reason)"}"#), status: 422)
            #expect(longReason.errors.map(\.pointer) == ["/reason"])
            _ = try await h.cancel(#"{"ids":["tsk_1"],"reason":"\#(String(repeating: "é", count: 500))"}"#)

            let unknown = try Self.problem(try await h.post(#"{"idz":["tsk_1"],"ids":["tsk_1"]}"#), status: 422)
            #expect(unknown.errors.map(\.pointer) == ["/idz"])

            let idempotency = String(repeating: "k", count: 256)
            _ = try Self.problem(try await h.post(#"{"ids":["tsk_1"]}"#, headers: [.init("Idempotency-Key")!: idempotency]), status: 422)
            _ = try Self.problem(try await h.post(#"{"ids":["tsk_1"]}"#, query: "?dry_run=maybe"), status: 422)

            let huge = GatewayHarness.body(ids: ["tsk_1", String(repeating: "x", count: 1_100_000)])
            _ = try Self.problem(try await h.post(huge), status: 413)

            let notFound = try await h.gateway.execute(uri: "/v1/nothing", method: .get)
            #expect(notFound.status == .notFound)
            #expect(notFound.headers[.contentType] == "application/problem+json")
            // The fakes saw only the one valid request (Skyvern's tsk_1).
            for provider in [FakeProvider.kubiya, .meibel, .c1] { #expect(await h.fakes.state.calls(provider).isEmpty) }
            #expect(await h.fakes.state.calls(.skyvern).allSatisfy { $0.ids == ["tsk_1"] })
        }
    }

    /// Hostile IDs arrive at the upstream exactly, as one path segment, and never change the call.
    @Test func hostileIDsStayOnePathSegment() async throws {
        let ids = [
            "a/b", "..", ".", "../../admin", "x?y=1", "frag#ment", "100%", "%2F", "with space", "ünïcødé-✓", "tab\there", "nl\nx",
            "nul\u{0}byte", "semi;colon", "bex_ok",
        ]
        try await GatewayHarness.run(seed: { state in
            for id in ids { await state.seed(.meibel, id: id, status: "RUNNING") }
        }) { h in
            let report = try await h.cancel(ids: ids, upstream: "meibel")
            report.checkShape(expectedCount: ids.count)
            #expect(report.results.map(\.id) == ids)
            for result in report.results { #expect(result.outcome == .cancelled, "\(result.id.debugDescription): \(result)") }
            let received = await h.fakes.state.calls(.meibel).flatMap(\.ids)
            #expect(received.sorted() == ids.sorted())
            #expect(await h.fakes.state.calls(.meibel).allSatisfy { $0.path.hasPrefix("/meibel/v2/batch-executions/id/") && $0.path.hasSuffix("/cancel") })
        }
    }

    /// An empty ID is an item-level `invalid`, not a request error.
    @Test func emptyIDIsAnItemError() async throws {
        try await GatewayHarness.run { h in
            let report = try await h.cancel(#"{"items":[{"id":"","upstream":"meibel"},{"id":""}]}"#)
            report.checkShape(expectedCount: 2)
            #expect(report.results[0].outcome == .invalid)
            #expect(report.results[1].outcome == .unroutable)
        }
    }

    /// A refused request still carries the caller's X-Request-ID back, and its log line has it,
    /// so the caller and the operator can find each other.
    @Test func problemsEchoTheCallersRequestID() async throws {
        try await GatewayHarness.run { h in
            let requestID = HTTPField.Name("X-Request-ID")!
            let refused = try await h.post(#"{"ids": []}"#, headers: [requestID: "deploy-42"])
            _ = try Self.problem(refused, status: 422)
            #expect(refused.headers[requestID] == "deploy-42")
            #expect(h.logs.entries.contains { "\($0.message)" == "request refused" && $0.metadata["request.id"] == "deploy-42" })
            // An X-Request-ID that breaks the rules is not echoed (it is itself the problem).
            let bad = try await h.post(#"{"ids": ["x"]}"#, headers: [requestID: "has spaces"])
            _ = try Self.problem(bad, status: 422)
            #expect(bad.headers[requestID] == nil)
        }
    }
}
