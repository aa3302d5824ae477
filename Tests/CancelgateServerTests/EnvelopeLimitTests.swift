import Foundation
import HummingbirdTesting
import Testing

/// The envelope's limits as the providers count them.
@Suite struct EnvelopeLimitTests {
    /// 👍🏽 is one Character but two Unicode scalars (thumbs up + skin tone); Kubiya's validator
    /// counts scalars and refuses a whole batch whose reason has more than 500.
    @Test func reasonIsCountedInUnicodeScalars() async throws {
        try await GatewayHarness.run { h in
            let thumbs = String(repeating: "👍🏽", count: 300)
            #expect(thumbs.count == 300 && thumbs.unicodeScalars.count == 600)
            let refused = try BadInputTests.problem(try await h.post(#"{"ids":["tsk_1"],"reason":"\#(thumbs)"}"#), status: 422)
            #expect(refused.errors.map(\.pointer) == ["/reason"])
            #expect(refused.errors.first?.message.contains("got 600") == true)
            // A family emoji is five scalars joined by ZWJs: 101 of them are 505.
            let families = String(repeating: "👨‍👩‍👧", count: 101)
            #expect(families.count == 101)
            _ = try BadInputTests.problem(try await h.post(#"{"ids":["tsk_1"],"reason":"\#(families)"}"#), status: 422)
            // Exactly 500 scalars is the most that passes.
            let report = try await h.cancel(#"{"ids":["tsk_1"],"reason":"\#(String(repeating: "👍🏽", count: 250))"}"#, query: "?dry_run=true")
            report.checkShape(expectedCount: 1)
        }
    }
}
