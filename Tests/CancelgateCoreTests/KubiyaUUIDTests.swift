import Foundation
import Testing

@testable import CancelgateCore

/// Kubiya's local ID check (`Kubiya.isUUID`, read on UTF-8) accepts a UUID in its canonical
/// 8-4-4-4-12 spelling, either case, and nothing else. Foundation's `UUID(uuidString:)`, which it
/// replaced, parses with `sscanf` and also took `91+0`, a tab or a space inside a field, or a
/// hyphen in place of a digit (`ff7401f0--02b-…`): such an ID, named for Kubiya explicitly, was
/// sent and would have failed its whole batch there. The reference here: Foundation parses the
/// text and prints it back the same (ignoring case). Checked on generated near-UUIDs (each
/// position given a hex digit of either case, a hyphen, a space, a sign, an `x`, a non-ASCII
/// letter), wrong lengths, and real UUIDs in both cases.
@Suite(.disabled(if: ProcessInfo.processInfo.environment["CANCELGATE_SANITIZED"] != nil, "single-threaded computation: under the thread sanitizer it tests nothing and slows the real-clock tests beside it"))
struct KubiyaUUIDTests {
    static let alphabet: [Character] = Array("0123456789abcdefABCDEF") + ["-", " ", "+", "x", "g", "é", "\t", "{", "0"]

    @Test func agreesWithFoundationOnGeneratedStrings() async {
        var rng = ReportJSONTests.Seeded(state: 7)
        var accepted = 0
        for round in 0..<3_000 {
            if round % 100 == 0 { await Task.yield() }  // never hold a pool thread for long
            var text: String
            if round % 2 == 0 {
                // A real UUID with one position changed (or none).
                var characters = Array(UUID().uuidString.lowercased())
                if round % 4 == 0 { characters = characters.map { Bool.random(using: &rng) ? Character($0.uppercased()) : $0 } }
                if round % 3 != 0 { characters[Int.random(in: 0..<36, using: &rng)] = Self.alphabet.randomElement(using: &rng)! }
                text = String(characters)
            } else {
                let length = [35, 36, 36, 36, 37, 32].randomElement(using: &rng)!
                text = String((0..<length).map { _ in Self.alphabet.randomElement(using: &rng)! })
            }
            let canonical = Self.canonical(text)
            #expect(Kubiya.isUUID(text) == canonical, "\(text.debugDescription): canonical \(canonical)")
            if canonical { accepted += 1 }
        }
        #expect(accepted > 750, "the generator gave enough valid UUIDs to compare")
        for text in ["", "550e8400-e29b-41d4-a716-446655440000", "550E8400-E29B-41D4-A716-446655440000", "550e8400e29b41d4a716446655440000",
                     "{550e8400-e29b-41d4-a716-446655440000}", " 50e8400-e29b-41d4-a716-446655440000", "+50e8400-e29b-41d4-a716-446655440000"] {
            #expect(Kubiya.isUUID(text) == Self.canonical(text), "\(text.debugDescription)")
        }
        #expect(UUID(uuidString: "ff7401f0--02b-4179-Aa5d-0b23A5CEC361") != nil && !Kubiya.isUUID("ff7401f0--02b-4179-Aa5d-0b23A5CEC361"))
    }

    static func canonical(_ text: String) -> Bool {
        UUID(uuidString: text)?.uuidString.lowercased() == text.lowercased()
    }
}
