import CancelgateCore
import Foundation
import Testing

@testable import CancelgateServer

/// The request body's two readers: `CancelBody.plain` (typed, one pass, for the usual body) and
/// `CancelBody.checked` (a JSON tree, every rule with its pointer). On generated bodies, valid
/// and not, of all three kinds: whenever `plain` answers, `checked` accepts the same body and
/// reads the same fields; and `plain` answers for every valid body of the usual shapes.
@Suite(.disabled(if: ProcessInfo.processInfo.environment["CANCELGATE_SANITIZED"] != nil, "single-threaded computation: under the thread sanitizer it tests nothing and slows the real-clock tests beside it"))
struct BodyParsingTests {
    /// SplitMix64, seeded: a failure names the body, and the run repeats it.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func same(_ a: CancelBody, _ b: CancelBody) -> Bool {
        a.reason == b.reason && a.upstream == b.upstream && a.entries == b.entries && a.confirm == b.confirm && a.ratePerSecond == b.ratePerSecond
    }

    static let values: [String] = [
        #""x""#, #""""#, "null", "true", "1", "0", "-3", "2.5", "100001", "[]", "{}", #"["a"]"#, #"[1]"#, #"[null]"#,
        #"[{"id": "a"}]"#, #"[{"id": "a", "upstream": "kubiya"}]"#, #"[{"id": 1}]"#, #"[{"id": "a", "upstream": ""}]"#,
        #"[{"id": "a", "other": 1}]"#, #"[{}]"#, #"[{"id": "a", "upstream": null}]"#, "\"" + String(repeating: "r", count: 501) + "\"",
    ]
    static let keys = ["ids", "items", "reason", "upstream", "confirm", "rate_per_second", "other"]

    @Test func plainAnswersOnlyWhatCheckedAcceptsTheSame() async throws {
        var rng = Seeded(state: 3)
        var plainAnswered = 0
        for round in 0..<1_500 {
            if round % 100 == 0 { await Task.yield() }  // never hold a pool thread for long
            var fields: [String] = []
            for key in Self.keys where Int.random(in: 0..<3, using: &rng) == 0 || (key == "ids" && round % 2 == 0) {
                fields.append("\"\(key)\": \(Self.values.randomElement(using: &rng)!)")
            }
            let data = Data(("{" + fields.joined(separator: ", ") + "}").utf8)
            for kind in [CancelBody.Kind.cancel, .status, .job] {
                guard let fast = CancelBody.plain(data, maxItems: 2, kind: kind) else { continue }
                plainAnswered += 1
                let slow = try CancelBody.checked(data, maxItems: 2, kind: kind)
                #expect(Self.same(fast, slow), "\(String(decoding: data, as: UTF8.self)) as \(kind)")
            }
        }
        #expect(plainAnswered > 20, "the generator reaches valid bodies")
    }

    @Test func plainAnswersTheUsualBodies() throws {
        let bodies = [
            (#"{"ids": ["a", "b"], "reason": "deploy rollback"}"#, CancelBody.Kind.cancel),
            (#"{"items": [{"id": "a", "upstream": "meibel"}], "upstream": "c1", "confirm": true}"#, .cancel),
            (#"{"ids": ["a"], "items": [{"id": "b"}]}"#, .status),
            (#"{"ids": ["a"], "rate_per_second": 20, "reason": "incident"}"#, .job),
        ]
        for (text, kind) in bodies {
            let data = Data(text.utf8)
            let fast = try #require(CancelBody.plain(data, maxItems: 10, kind: kind), "\(text)")
            #expect(Self.same(fast, try CancelBody.checked(data, maxItems: 10, kind: kind)))
            #expect(Self.same(fast, try CancelBody.parse(data, maxItems: 10, kind: kind)))
        }
    }
}
