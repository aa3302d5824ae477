import Foundation
import Testing

@testable import CancelgateCore

/// Route regexes of the `^[class]{m,n}$` shape are matched on UTF-8 by hand; every other
/// pattern, and any ID with a control character or non-ASCII text, by NSRegularExpression. Both
/// ways give the same answer on generated IDs, for the shapes the fast path takes and for some
/// it must leave alone.
@Suite(.disabled(if: ProcessInfo.processInfo.environment["CANCELGATE_SANITIZED"] != nil, "single-threaded computation: under the thread sanitizer it tests nothing and slows the real-clock tests beside it"))
struct IDPatternTests {
    static let fast = [
        "^[0-9]{1,19}$", "^[0-9a-fA-F-]{36}$", "^[a-z_]+$", "^[A-Z0-9]{4}$", "^[a-c0-2_-]*$", "^[x]{0,3}$",
    ]
    static let slow = [
        "[0-9]{3}", "^[0-9]{2,}$", "^[-a-f]{3}$", "^[^0-9]{2}$", "^[\\d]{3}$", "^run-[0-9]+$", "^[0-9]{3}$|^x$", "^[a-Z]{2}$",
        "^[0-9]{1,19}$\n", "^[0-9]{9,1}$",
    ]
    static let alphabet: [Character] = Array("0123456789abcdefxyzABCDEFZ_-") + ["\n", "\r", "\t", " ", "é", "٣", "\u{2028}", "🛑", "$", "^"]

    @Test func fastPathTakesOnlyItsShape() throws {
        for source in Self.fast { #expect(try #require(IDPattern(source)).hasFastPath, "\(source)") }
        for source in Self.slow { #expect(IDPattern(source)?.hasFastPath != true, "\(source)") }
    }

    @Test func bothWaysAgreeOnGeneratedIDs() async throws {
        var rng = ReportJSONTests.Seeded(state: 11)
        for source in Self.fast + Self.slow {
            guard let pattern = IDPattern(source) else { continue }
            var matched = 0
            for round in 0..<600 {
                if round % 100 == 0 { await Task.yield() }  // never hold a pool thread for long
                let length = round % 5 == 0 ? 36 : Int.random(in: 0...40, using: &rng)
                // Mostly digits and hex, so that each pattern matches a fair share.
                let id = String((0..<length).map { _ in
                    Int.random(in: 0..<10, using: &rng) < 8 ? Self.alphabet[Int.random(in: 0..<16, using: &rng)] : Self.alphabet.randomElement(using: &rng)!
                })
                let expected = pattern.matchesByRegex(id)
                #expect(pattern.matches(id) == expected, "\(source.debugDescription) on \(id.debugDescription)")
                if expected { matched += 1 }
            }
            for id in ["123\n", "123\r\n", "\u{0663}", "12", "550e8400-e29b-41d4-a716-446655440000", "", "1234567890123456789", "12345678901234567890"] {
                #expect(pattern.matches(id) == pattern.matchesByRegex(id), "\(source.debugDescription) on \(id.debugDescription)")
            }
            if source == "^[0-9]{1,19}$" { #expect(matched > 15, "the generator reaches matches") }
        }
    }
}
