import CancelgateWire
import CancelgateCore
import CancelgateFakes
import CancelgateServer
import Foundation
import HummingbirdTesting
import InMemoryLogging
import HTTPTypes
import Logging
import NIOCore
import Testing

@Suite struct SecretsAndAuthTests {
    /// No configured token or key appears in any log line or response, even at debug level.
    @Test func secretsNeverLeak() async throws {
        let callerToken = "cg_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
        var settings = GatewayHarness.Settings()
        settings.clients = [(name: "deploy-bot", token: callerToken, upstreams: ["kubiya", "skyvern", "meibel", "c1"])]
        settings.logLevel = .trace
        let jsonLines = LogLines()
        settings.extraLogHandler = JSONLogHandler(label: "cancelgate.test", write: jsonLines.append)
        try await GatewayHarness.run(settings, seed: { state in
            await state.seed(.c1, id: "5", status: "PROCESS_STEP")
            await state.seed(.meibel, id: "bex_1", status: "RUNNING")
        }) { h in
            let auth: HTTPFields = [.authorization: "Bearer \(callerToken)"]
            var bodies: [String] = []
            let report = try await h.post(GatewayHarness.body(ids: ["5", "tsk_1", TestIDs.uuid(), "bex_1"]), headers: auth)
            bodies.append(String(buffer: report.body))
            let upstreams = try await h.gateway.execute(uri: "/v1/upstreams", method: .get, headers: auth)
            #expect(upstreams.status == .ok)
            bodies.append(String(buffer: upstreams.body))
            bodies.append(String(buffer: try await h.post(#"{"ids":[1]}"#, headers: auth).body))
            bodies.append(String(buffer: try await h.post(#"{"ids":["5"]}"#, headers: [.authorization: "Bearer wrong"]).body))
            #expect(bodies[1].contains("\"kubiya\""))
            let credentials = h.fakes.credentials
            let secrets = [
                callerToken, credentials.kubiyaToken, credentials.skyvernKey, credentials.meibelKey, credentials.c1ClientSecret,
                String(credentials.c1ClientSecret.suffix(20)),
            ]
            let logText = h.logs.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n") + jsonLines.text
            #expect(jsonLines.lines.count == h.logs.entries.count, "--log-format json writes every line too")
            #expect(h.logs.entries.contains { "\($0.message)" == "upstream call finished" }, "debug logs were captured")
            for secret in secrets {
                #expect(!logText.contains(secret), "a secret reached the logs")
                #expect(!bodies.joined().contains(secret), "a secret reached a response")
            }
            // Tokens issued by C1 are secrets too.
            #expect(!logText.contains("Bearer "))
        }
    }

    @Test func callerAuthentication() async throws {
        var settings = GatewayHarness.Settings()
        settings.clients = [
            (name: "deploy-bot", token: "tok-deploy-0123456789", upstreams: ["kubiya", "skyvern"]),
            (name: "ops", token: "tok-ops-9876543210", upstreams: ["c1"]),
        ]
        try await GatewayHarness.run(settings, seed: { state in
            await state.seed(.skyvern, id: "tsk_1", status: "running")
            await state.seed(.c1, id: "8", status: "PROCESS_STEP")
        }) { h in
            let body = GatewayHarness.body(ids: ["tsk_1", "8"])
            _ = try BadInputTests.problem(try await h.post(body), status: 401)
            _ = try BadInputTests.problem(try await h.post(body, headers: [.authorization: "Bearer tok-unknown"]), status: 401)
            _ = try BadInputTests.problem(try await h.post(body, headers: [.authorization: "Basic dG9rLWRlcGxveQ=="]), status: 401)
            let unauthorizedList = try await h.gateway.execute(uri: "/v1/upstreams", method: .get)
            #expect(unauthorizedList.status == .unauthorized)
            #expect(try await h.gateway.execute(uri: "/healthz", method: .get).status == .ok)
            #expect(try await h.gateway.execute(uri: "/readyz", method: .get).status == .ok)

            let report = try await h.cancel(body, headers: [.authorization: "Bearer tok-deploy-0123456789"])
            report.checkShape(expectedCount: 2)
            #expect(report.results[0].outcome == .cancelled)
            #expect(report.results[1].outcome == .forbidden)
            #expect(report.results[1].attempts == 0)
            #expect(await h.fakes.state.calls(.c1).isEmpty)
        }
    }
}
