import CancelgateFakes
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// `/_admin/faults` and `/_admin/release` on the fakes' port, and the `--fault` spec parser.
@Suite struct FakesFaultAdminTests {
    static let meibel = FakesMeibelTests.cancel

    @Test func postGetDeleteRoundTrip() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            let rule = #"{"provider":"meibel","fault":"error","status":503,"ids":["bex_1"],"times":2}"#
            let added = try await h.admin(.post, "/_admin/faults", body: rule)
            #expect(added.statusCode == 201)
            #expect(added.bodyJSON["fault"] as? String == "error" && added.bodyJSON["probability"] as? Double == 1)
            #expect(try await h.post(Self.meibel("bex_1"), h.meibelAuth).statusCode == 503)

            let listed = try await h.admin(.get, "/_admin/faults")
            #expect(listed.statusCode == 200)
            let rules = try #require(listed.bodyJSON["rules"] as? [[String: Any]])
            #expect(rules.count == 1 && rules.first?["status"] as? Int == 503 && rules.first?["ids"] as? [String] == ["bex_1"])
            #expect(rules.first?["times"] as? Int == 1, "one of the two times is used up")
            #expect(listed.bodyJSON["injected"] as? [String: Int] == ["kubiya": 0, "skyvern": 0, "meibel": 1, "c1": 0])
            #expect(listed.bodyJSON["seed"] as? Int == 0 && listed.bodyJSON["held"] as? Int == 0)

            let cleared = try await h.admin(.delete, "/_admin/faults?provider=meibel")
            #expect(cleared.statusCode == 200 && cleared.bodyJSON["cleared"] as? Int == 1)
            #expect((try await h.admin(.get, "/_admin/faults").bodyJSON["rules"] as? [Any])?.isEmpty == true)
            #expect(try await h.post(Self.meibel("bex_1"), h.meibelAuth).statusCode == 200)
        }
    }

    @Test func everyFaultKindRoundTripsThroughTheDocument() async throws {
        let bodies = [
            #"{"provider":"kubiya","fault":"latency","latency_ms":200,"probability":0.25}"#,
            #"{"provider":"skyvern","fault":"rate_limit","retry_after":"Wed, 21 Oct 2026 07:28:00 GMT"}"#,
            #"{"provider":"skyvern","fault":"rate_limit","retry_after":2}"#,
            #"{"provider":"meibel","fault":"hang","ids":["b","a"]}"#,
            #"{"provider":"c1","fault":"close_before_body"}"#, #"{"provider":"c1","fault":"close_after_body"}"#,
            #"{"provider":"c1","fault":"garbage"}"#, #"{"provider":"c1","fault":"slow_body"}"#,
            #"{"provider":"c1","fault":"cancel_then_close","times":1}"#,
        ]
        try await FakesHarness.run { h in
            for body in bodies { #expect(try await h.admin(.post, "/_admin/faults", body: body).statusCode == 201, "\(body)") }
            let rules = await h.state.faultRules()
            #expect(rules[.kubiya] == [FaultRule(.latency(.milliseconds(200)), probability: 0.25)])
            #expect(rules[.skyvern] == [FaultRule(.rateLimited(retryAfter: .httpDate("Wed, 21 Oct 2026 07:28:00 GMT"))), FaultRule(.rateLimited(retryAfter: .seconds(2)))])
            #expect(rules[.meibel] == [FaultRule(.hang, ids: ["a", "b"])])
            #expect(rules[.c1]?.map(\.fault) == [.closeConnection, .closeAfterBody, .garbage, .slowBody(chunkBytes: 16, interval: .milliseconds(50)), .cancelThenClose])
            let listed = try await h.admin(.get, "/_admin/faults")
            let documents = try JSONDecoder().decode([FaultRuleDocument].self, from: JSONSerialization.data(withJSONObject: listed.bodyJSON["rules"] as? [Any] ?? []))
            #expect(try documents.map { try $0.resolved().rule } == FakeProvider.allCases.flatMap { rules[$0] ?? [] })
            #expect(try await h.admin(.delete, "/_admin/faults").bodyJSON["cleared"] as? Int == bodies.count)
        }
    }

    @Test func releaseLetsHeldCallsGoOn() async throws {
        try await FakesHarness.run { h in
            await h.state.seed(.meibel, id: "bex_1", status: "RUNNING")
            #expect(try await h.admin(.post, "/_admin/faults", body: #"{"provider":"meibel","fault":"hang"}"#).statusCode == 201)
            try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask { try await h.post(Self.meibel("bex_1"), h.meibelAuth).statusCode }
                await h.state.waitUntilHeld(1)
                #expect(try await h.admin(.get, "/_admin/faults").bodyJSON["held"] as? Int == 1)
                let released = try await h.admin(.post, "/_admin/release")
                #expect(released.statusCode == 200 && released.bodyJSON["released"] as? Int == 1)
                #expect(try await group.next() == 200)
            }
        }
    }

    static let badBodies: [(String, String)] = [
        ("{", "not a JSON object"),
        (#"["meibel"]"#, "not a JSON object"),
        (#"{"fault":"hang"}"#, "\"provider\" is required"),
        (#"{"provider":"kubyia","fault":"hang"}"#, "unknown provider \"kubyia\""),
        (#"{"provider":"meibel","fault":"explode"}"#, "unknown fault \"explode\""),
        (#"{"provider":"meibel","fault":"error"}"#, "needs a \"status\""),
        (#"{"provider":"meibel","fault":"error","status":200}"#, "needs a \"status\""),
        (#"{"provider":"meibel","fault":"hang","status":503}"#, "\"status\" does not apply to \"hang\""),
        (#"{"provider":"meibel","fault":"error","status":503,"probability":1.5}"#, "between 0 and 1"),
        (#"{"provider":"meibel","fault":"hang","times":0}"#, "\"times\" must be at least 1"),
        (#"{"provider":"meibel","fault":"hang","ids":[]}"#, "\"ids\" must be"),
        (#"{"provider":"meibel","fault":"rate_limit","retry_after":"soon"}"#, "\"retry_after\" must be"),
        (#"{"provider":"meibel","fault":"rate_limit","retry_after":"Thu, 21 Oct 2026 07:28:00 GMT"}"#, "\"retry_after\" must be"),
        (#"{"provider":"meibel","fault":"latency"}"#, "needs \"latency_ms\""),
        (#"{"provider":"meibel","fault":"hang","probabilty":0.5}"#, "unknown key \"probabilty\""),
        (#"{"provider":"meibel","fault":"error","status":"503"}"#, "\"status\" has the wrong type"),
    ]

    @Test(arguments: badBodies.indices)
    func badAdminInputIs400WithAMessage(index: Int) async throws {
        let (body, message) = Self.badBodies[index]
        try await FakesHarness.run { h in
            let response = try await h.admin(.post, "/_admin/faults", body: body)
            #expect(response.statusCode == 400)
            #expect(response.bodyJSON["error"] as? String == "bad_request")
            #expect((response.bodyJSON["message"] as? String)?.contains(message) == true, "\(body) → \(response.bodyText)")
            #expect(await h.state.faultRules().isEmpty)
        }
    }

    @Test func deleteOfAnUnknownProviderIs400() async throws {
        try await FakesHarness.run { h in
            let response = try await h.admin(.delete, "/_admin/faults?provider=archive")
            #expect(response.statusCode == 400 && (response.bodyJSON["message"] as? String)?.contains("archive") == true)
        }
    }

    static let specs: [(String, FakeProvider, FaultRule)] = [
        ("kubiya=error:503:0.2", .kubiya, FaultRule(.status(503), probability: 0.2)),
        ("skyvern=rate_limit:1", .skyvern, FaultRule(.rateLimited(retryAfter: .seconds(1)))),
        ("skyvern=rate_limit", .skyvern, FaultRule(.rateLimited(retryAfter: nil))),
        ("skyvern=rate_limit:Wed, 21 Oct 2026 07:28:00 GMT:0.5", .skyvern,
         FaultRule(.rateLimited(retryAfter: .httpDate("Wed, 21 Oct 2026 07:28:00 GMT")), probability: 0.5)),
        ("meibel=latency:200", .meibel, FaultRule(.latency(.milliseconds(200)))),
        ("meibel=hang@bex_1,bex_2", .meibel, FaultRule(.hang, ids: ["bex_1", "bex_2"])),
        ("c1=close_after_body:0.5@839265", .c1, FaultRule(.closeAfterBody, ids: ["839265"], probability: 0.5)),
        ("c1=slow_body:20:4", .c1, FaultRule(.slowBody(chunkBytes: 4, interval: .milliseconds(20)))),
        ("c1=close_before_body", .c1, FaultRule(.closeConnection)),
        ("kubiya=cancel_then_close", .kubiya, FaultRule(.cancelThenClose)),
        ("kubiya=garbage", .kubiya, FaultRule(.garbage)),
    ]

    @Test(arguments: specs.indices)
    func faultSpecParses(index: Int) throws {
        let (spec, provider, rule) = Self.specs[index]
        let resolved = try FaultRuleDocument(spec: spec).resolved()
        #expect(resolved.provider == provider && resolved.rule == rule)
    }

    @Test(arguments: [
        "kubiya", "=hang", "nope=hang", "kubiya=explode", "kubiya=error", "kubiya=error:abc", "kubiya=error:503:lots",
        "kubiya=error:503:0.5:1", "meibel=latency", "skyvern=rate_limit:soon", "c1=hang:2", "c1=hang@",
    ])
    func badFaultSpecIsRefused(spec: String) {
        #expect(throws: FaultSpecError.self) { try FaultRuleDocument(spec: spec).resolved() }
    }
}

extension FakesHarness {
    /// An admin call with an optional JSON body.
    func admin(_ method: HTTPRequest.Method, _ path: String, body: String? = nil) async throws -> TestResponse {
        let headers: HTTPFields = body == nil ? [:] : [.contentType: "application/json"]
        return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }
}
