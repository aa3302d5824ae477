import CancelgateWire
import CancelgateCore
import CancelgateFakes
import CancelgateServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The call path under conditions real deployments meet: bursts on few slots of a slow provider,
/// a wrong `base_url`, and a reload while requests are in flight. Real gateway, real fakes.
@Suite struct PipelineEdgeTests {
    /// Forty requests at once on two Meibel slots, each call 40 ms, `timeout_ms` 500: most calls
    /// wait far longer than 500 ms for a slot (1.6 s of calls in all), and every one is sent with
    /// its whole timeout, so all end `cancelled`. (Counting a wait against `timeout_ms`, they ended
    /// `deadline_exceeded` unsent.) Attempts are not asserted to be 1: on a machine as slow as the
    /// thread sanitizer makes it, a 40 ms call can outlast 500 ms and be retried, which is right.
    @Test func burstsOnFewSlotsOfASlowProviderAllEndCancelled() async throws {
        var settings = GatewayHarness.Settings(requestTimeoutMs: 60_000, upstreamTimeoutMs: 500, concurrency: 2, autoCreate: true)
        settings.logLevel = .info
        try await GatewayHarness.run(settings, seed: { await $0.setLatency(.milliseconds(40), for: .meibel) }) { h in
            let reports = try await withThrowingTaskGroup(of: CancelReport.self) { group in
                // Each on a connection of its own: the harness's client sends one request at a time.
                let port = try #require(h.gateway.port)
                for _ in 0..<40 { group.addTask { try await LiveGatewayCall.cancel(port: port, ids: [TestIDs.meibel(), TestIDs.meibel()]) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for report in reports {
                report.checkShape(expectedCount: 2)
                #expect(report.results.allSatisfy { $0.outcome == .cancelled }, "\(report.results.map { ($0.attempts, $0.error?.code) })")
            }
            let attempts = reports.flatMap(\.results).map(\.attempts).reduce(0, +)
            // Each item reached the fake, and no more often than its attempts say (libcurl's resend
            // on a dead reused connection is an attempt the fake never saw). A timed-out attempt is
            // followed by a status read, which is no cancel.
            let calls = await h.cancelCalls(.meibel).count
            #expect(calls >= 80 && calls <= attempts, "\(calls) calls, \(attempts) attempts")
            // Never more than `concurrency` calls at once, except that an attempt the gateway gave
            // up on (timed out, then retried) may still be held by the fake for a while.
            // A timed-out attempt is followed by a status read instead of a second cancel: each read
            // also stands for one abandoned attempt.
            let reads = await h.fakes.state.calls(.meibel).count(where: \.isStatusRead)
            let abandoned = attempts - 80 + reads
            #expect(await h.fakes.state.peakConcurrentCalls(.meibel) <= 2 + abandoned, "\(abandoned) attempts abandoned")
        }
    }

    static func wrongBases(_ json: String) -> String {
        ["/kubiya\"", "/skyvern\"", "/meibel/v2\"", "/c1\""].reduce(json) { json, base in
            json.replacingOccurrences(of: base, with: "/moved" + base)
        }
    }

    /// A wrong `base_url` meets the providers' route miss (404 `{"detail":"Not Found"}`): every item
    /// says the endpoint is missing, naming upstream and path, never that the run is not found.
    @Test(arguments: ["batch", "single"])
    func aWrongBaseURLIsAMissingEndpointNotAMissingRun(kubiyaMode: String) async throws {
        var settings = GatewayHarness.Settings(kubiyaMode: kubiyaMode, autoCreate: true)
        settings.editRoutes = Self.wrongBases
        try await GatewayHarness.run(settings) { h in
            let ids = [TestIDs.uuid(), TestIDs.skyvernTask(), TestIDs.meibel()]
            let report = try await h.cancel(ids: ids)
            report.checkShape(expectedCount: 3)
            for result in report.results {
                #expect(result.outcome == .failed)
                #expect(result.error?.code == .endpointNotFound, "\(result.upstream ?? "-"): \(result.error?.message ?? "")")
                #expect(result.error?.message.contains(result.upstream ?? "?") == true)
                #expect(result.error?.message.contains("/moved/") == false, "the path called is relative to base_url")
            }
            #expect(report.results[0].error?.message.contains(kubiyaMode == "batch" ? "/api/v1/executions/batch/terminate" : "/terminate") == true)
            #expect(report.results[1].error?.message.contains("/v1/runs/cancel") == true)

            // C1 cannot get a token from a token endpoint that is not there either.
            let c1 = try await h.cancel(ids: [TestIDs.c1()]).results[0]
            #expect(c1.error?.code == .tokenUnavailable)
            #expect(c1.httpStatus == nil)
            #expect(c1.error?.message.contains("404") == true)
        }
    }

    /// A reload while requests are in flight keeps Meibel's two slots (old and new requests together
    /// never exceed them) and C1's token (no second fetch).
    @Test func aReloadUnderLoadKeepsTheLimitAndTheToken() async throws {
        var settings = GatewayHarness.Settings(requestTimeoutMs: 30_000, concurrency: 2, autoCreate: true, fromFile: true)
        settings.logLevel = .info
        try await GatewayHarness.run(settings, seed: { await $0.setLatency(.milliseconds(40), for: .meibel) }) { h in
            let warmUp = try await h.cancel(ids: [TestIDs.c1()])
            #expect(warmUp.results[0].outcome == .cancelRequested)
            let port = try #require(h.gateway.port)
            let reports = try await withThrowingTaskGroup(of: CancelReport?.self) { group in
                for _ in 0..<6 { group.addTask { try await LiveGatewayCall.cancel(port: port, ids: [TestIDs.meibel(), TestIDs.meibel(), TestIDs.c1()]) } }
                group.addTask {
                    // Once the first calls are being answered, reload the same file.
                    while await h.fakes.state.calls(.meibel).count < 2 { try await Task.sleep(for: .milliseconds(2)) }
                    let reload = try await h.gateway.execute(uri: "/admin/reload", method: .post, headers: [:], body: nil)
                    #expect(reload.status == .ok)
                    return nil
                }
                for _ in 0..<6 { group.addTask { try await LiveGatewayCall.cancel(port: port, ids: [TestIDs.meibel(), TestIDs.meibel(), TestIDs.c1()]) } }
                return try await group.reduce(into: [CancelReport]()) { if let report = $1 { $0.append(report) } }
            }
            #expect(reports.count == 12)
            for report in reports {
                report.checkShape(expectedCount: 3)
                #expect(report.summary.succeeded == 3, "\(report.results.map { $0.error?.code })")
            }
            #expect(await h.fakes.state.peakConcurrentCalls(.meibel) <= 2)
            #expect(await h.fakes.state.tokensIssued() == 1, "the reload kept C1's cached token")
        }
    }
}
