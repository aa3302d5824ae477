import CancelgateWire
import Foundation
import Testing

/// `ReportJSON` against Foundation's `JSONEncoder` (`[.sortedKeys, .withoutEscapingSlashes]`,
/// what the gateway answered with before): the same bytes for generated reports of every
/// outcome and error code, every optional field present and absent, and strings with quotes,
/// backslashes, slashes, every control character, DEL, U+2028 and non-BMP scalars; and what it
/// writes reads back as the same report.
@Suite(.disabled(if: ProcessInfo.processInfo.environment["CANCELGATE_SANITIZED"] != nil, "single-threaded computation: under the thread sanitizer it tests nothing and slows the real-clock tests beside it"))
struct ReportJSONTests {
    /// SplitMix64: a seeded generator, so that a failure names the seed that reproduces it.
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

    static let awkward: [String] = [
        "", "plain", "with \"quotes\"", #"back\slash"#, "a/b/c", "tab\there", "line\nbreak", "cr\rlf", "\u{08}\u{0C}",
        "\u{00}\u{01}\u{1F}", "del\u{7F}", "sep\u{2028}\u{2029}", "emoji 🛑 and 𝄞", "é", "\u{FEFF}bom", "\\\"/\\",
        "550e8400-e29b-41d4-a716-446655440000", "bex_123", "12345678901234567890",
    ]

    static func text(_ rng: inout Seeded) -> String {
        if Bool.random(using: &rng) { return awkward.randomElement(using: &rng)! }
        // Random scalars, control characters and non-BMP ones included.
        let count = Int.random(in: 0...12, using: &rng)
        var scalars = String.UnicodeScalarView()
        for _ in 0..<count {
            let ranges: [ClosedRange<UInt32>] = [0x00...0x7F, 0x80...0x7FF, 0x800...0xD7FF, 0xE000...0xFFFF, 0x1_0000...0x10_FFFF]
            let value = UInt32.random(in: ranges.randomElement(using: &rng)!, using: &rng)
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }

    static func maybe<T>(_ rng: inout Seeded, _ make: (inout Seeded) -> T) -> T? {
        Bool.random(using: &rng) ? make(&rng) : nil
    }

    static func report(_ rng: inout Seeded) -> CancelReport {
        let results = (0..<Int.random(in: 0...40, using: &rng)).map { index in
            ItemResult(
                index: Bool.random(using: &rng) ? index : Int.random(in: Int.min...Int.max, using: &rng), id: text(&rng),
                upstream: maybe(&rng) { text(&$0) }, provider: maybe(&rng) { ["kubiya", "skyvern", "meibel", "c1"].randomElement(using: &$0)! },
                outcome: Outcome.allCases.randomElement(using: &rng)!, retryable: Bool.random(using: &rng),
                cancelledAt: maybe(&rng) { _ in "2026-12-04T01:02:03.456Z" }, httpStatus: maybe(&rng) { Int.random(in: 100...599, using: &$0) },
                attempts: Int.random(in: 0...5, using: &rng),
                error: maybe(&rng) { ItemError(ErrorCode.allCases.randomElement(using: &$0)!, text(&$0)) },
                confirmed: maybe(&rng) { Bool.random(using: &$0) }, providerStatus: maybe(&rng) { text(&$0) })
        }
        let plan = maybe(&rng) { rng in
            (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                PlannedCall(
                    upstream: text(&rng), provider: "meibel", method: "POST", path: "/v2/batch-executions/id/" + text(&rng) + "/cancel",
                    ids: (0..<Int.random(in: 0...4, using: &rng)).map { _ in text(&rng) })
            }
        }
        return CancelReport(requestID: text(&rng), dryRun: Bool.random(using: &rng), summary: Summary(results), results: results, plan: plan)
    }

    static func foundation(_ report: CancelReport) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(report))
    }

    // Kept small and yielding: a test that holds a thread of the 2-thread pool for seconds (as
    // this did under the thread sanitizer) starves the real-clock tests running beside it.
    @Test(arguments: 0..<8)
    func writesFoundationsBytes(seed: UInt64) async throws {
        var rng = Seeded(state: seed)
        for round in 0..<25 {
            await Task.yield()
            let report = Self.report(&rng)
            let ours = ReportJSON.encode(report)
            let theirs = try Self.foundation(report)
            #expect(ours == theirs, "seed \(seed) round \(round):\n\(String(decoding: ours, as: UTF8.self))\n\(String(decoding: theirs, as: UTF8.self))")
            #expect(try JSONDecoder().decode(CancelReport.self, from: Data(ours)) == report)
        }
    }

    /// The parts the store keeps on their own (an item row's result, a running record's
    /// provisional results, a record's or job's summary) are the bytes Foundation writes for them.
    @Test(arguments: 0..<4)
    func writesStoredPartsAsFoundationDoes(seed: UInt64) async throws {
        var rng = Seeded(state: seed + 100)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for _ in 0..<25 {
            await Task.yield()
            let report = Self.report(&rng)
            for result in report.results {
                #expect(ReportJSON.encode(result) == Array(try encoder.encode(result)))
            }
            #expect(ReportJSON.encode(report.results) == Array(try encoder.encode(report.results)))
            #expect(ReportJSON.encode(report.summary) == Array(try encoder.encode(report.summary)))
            #expect(try JSONDecoder().decode([ItemResult].self, from: Data(ReportJSON.encode(report.results))) == report.results)
        }
    }

    /// Every outcome word at once, so the summary's `outcomes` object has every key to sort.
    @Test func sortsEveryOutcomeKeyAsFoundationDoes() throws {
        let results = Outcome.allCases.enumerated().map { ItemResult(index: $0.offset, id: "id-\($0.offset)", outcome: $0.element) }
        let report = CancelReport(requestID: "r", dryRun: false, summary: Summary(results), results: results, plan: nil)
        #expect(ReportJSON.encode(report) == (try Self.foundation(report)))
    }
}
