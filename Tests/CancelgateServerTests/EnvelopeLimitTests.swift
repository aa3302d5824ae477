import Foundation
import HummingbirdTesting
import NIOCore
import Testing

@testable import CancelgateServer

/// The envelope's limits as the providers count them, and problem answers that stay small
/// whatever the body was.
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

    /// {"ids": [7, 7, …]} near max_body_bytes: one error for the count, not one per number.
    @Test func tooManyWrongTypedIDsAreOneSmallError() async throws {
        try await GatewayHarness.run { h in
            let body = #"{"ids":["# + Array(repeating: "7", count: 400_000).joined(separator: ",") + "]}"
            #expect(body.utf8.count > 700_000)
            let response = try await h.post(body)
            #expect(response.body.readableBytes < Problem.maxEncodedBytes)
            let problem = try BadInputTests.problem(response, status: 422)
            #expect(problem.errors.map(\.pointer) == ["/ids"])
            #expect(problem.errors.first?.message == "names 400000 IDs; at most 1000 per request")
        }
    }

    /// 1000 wrong-typed IDs within max_items: 50 errors listed, and the detail says how many more.
    @Test func errorsAreCappedAndTheDetailCountsTheRest() async throws {
        try await GatewayHarness.run { h in
            let body = #"{"ids":["# + (1...1000).map(String.init).joined(separator: ",") + "]}"
            let response = try await h.post(body)
            #expect(response.body.readableBytes < Problem.maxEncodedBytes)
            let problem = try BadInputTests.problem(response, status: 422)
            #expect(problem.errors.count == Problem.maxListedErrors)
            #expect(problem.errors.first?.pointer == "/ids/0")
            #expect(problem.detail.contains("1000 rules"))
            #expect(problem.detail.contains("Only the first 50 errors are listed; 950 more are not."), "\(problem.detail)")
        }
    }

    /// Unknown keys of 3,000 control characters each (escaped to six bytes apiece): pointers are
    /// cut, and fewer errors are listed so that the answer still fits in 16 KiB.
    @Test func hugePointersAreCutAndTheAnswerStaysUnder16KiB() async throws {
        try await GatewayHarness.run { h in
            let keys = (0..<40).map { "\"k\($0)" + String(repeating: "\\u0001", count: 3_000) + "\": 1" }
            let response = try await h.post(#"{"ids":["tsk_1"],"# + keys.joined(separator: ",") + "}")
            #expect(response.body.readableBytes < Problem.maxEncodedBytes)
            let problem = try BadInputTests.problem(response, status: 422)
            #expect(!problem.errors.isEmpty && problem.errors.count < 40)
            #expect(problem.errors.allSatisfy { $0.pointer.unicodeScalars.count <= Problem.maxFieldLength && $0.pointer.hasSuffix("…") })
            #expect(problem.detail.contains("\(40 - problem.errors.count) more are not."), "\(problem.detail)")
        }
    }
}
