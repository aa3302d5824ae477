import CancelgateWire
import Foundation
import Testing

@testable import CancelgateCore

/// Text the gateway now writes by hand on every request, compared with what Foundation wrote
/// before: path segments of upstream calls (`Wire.segment`, was `addingPercentEncoding`) and new
/// request and record IDs (`LowercaseUUID`, was `UUID().uuidString.lowercased()`).
@Suite(.disabled(if: ProcessInfo.processInfo.environment["CANCELGATE_SANITIZED"] != nil, "single-threaded computation: under the thread sanitizer it tests nothing and slows the real-clock tests beside it"))
struct HandWrittenTextTests {
    static let unreservedNotDot = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~")
    static let pieces: [String] = [
        "a", "Z", "0", "9", "-", "_", "~", ".", "..", "/", "?", "#", "%", "%2F", "+", " ", "&", "=", ":", "@", "\\", "\"", "'",
        "\u{0}", "\u{1F}", "\u{7F}", "é", "\u{301}", "ß", "\u{FFFD}", "\u{2028}", "\u{1F600}", "中", "\r\n", "\t",
    ]

    @Test func segmentIsFoundationsPercentEncoding() async {
        var rng = ReportJSONTests.Seeded(state: 11)
        for round in 0..<2_000 {
            if round % 100 == 0 { await Task.yield() }  // never hold a pool thread for long
            let id = (0..<Int.random(in: 0...12, using: &rng)).map { _ in Self.pieces.randomElement(using: &rng)! }.joined()
            let foundation = id.addingPercentEncoding(withAllowedCharacters: Self.unreservedNotDot)
            #expect(Wire.segment(id) == foundation, "\(id.debugDescription)")
        }
        #expect(Wire.segment("../admin?x=1#y") == "%2E%2E%2Fadmin%3Fx%3D1%23y", "no ID can leave its path segment")
        #expect(Wire.segment("b961aa4d-3301-4127-9100-000000000000") == "b961aa4d-3301-4127-9100-000000000000")
    }

    /// Record IDs and generated request IDs: version 7, their time in the first 48 bits, so
    /// later ones sort after earlier ones as text.
    @Test func timeOrderedIDsAreVersion7AndSortByTheirTime() throws {
        var seen = Set<String>()
        var previous = ""
        for step in 0..<2_000 {
            let ms = Int64(1_800_000_000_000 + step / 4)
            let id = LowercaseUUID.makeTimeOrdered(ms: ms)
            #expect(UUID(uuidString: id)?.uuidString.lowercased() == id, "\(id)")
            #expect(id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(id)")
            let hex = id.replacingOccurrences(of: "-", with: "").prefix(12)
            #expect(Int64(hex, radix: 16) == ms, "\(id) carries its time")
            if step % 4 == 0 { #expect(previous < id, "\(previous) then \(id)") }
            previous = id
            seen.insert(id)
        }
        #expect(seen.count == 2_000)
    }

    @Test func newIDsAreLowerCaseVersion4UUIDs() {
        var seen = Set<String>()
        for _ in 0..<2_000 {
            let id = LowercaseUUID.make()
            let parsed = UUID(uuidString: id)
            #expect(parsed?.uuidString.lowercased() == id, "\(id)")
            #expect(id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(id)")
            seen.insert(id)
        }
        #expect(seen.count == 2_000)
        for _ in 0..<200 {
            let uuid = UUID()
            #expect(LowercaseUUID.text(uuid) == uuid.uuidString.lowercased())
        }
    }
}
