import CancelgateServer
import Foundation
import Logging
import Testing

/// `--log-format text` (the default) is written by `TextLogHandler`, which replaced swift-log's
/// `StreamLogHandler` for its cost: the lines must stay StreamLogHandler's, byte for byte after
/// the timestamp (scripts read `server.address=` from them), for every mix of handler metadata,
/// provider metadata, per-line metadata, errors, levels and labels.
@Suite struct TextLogHandlerTests {
    struct Failure: Error, CustomStringConvertible {
        var description: String { "the upstream hung up" }
    }

    /// The cases: handler metadata set key by key, a provider, per-line metadata that overrides
    /// both, values of every metadata kind, an error, an empty label. (A dictionary value has one
    /// key: the order a Swift dictionary prints more in differs between two equal dictionaries.)
    static func emit(_ logger: inout Logger) {
        logger.info("listening", metadata: ["server.address": "127.0.0.1:8080"])
        logger[metadataKey: "request.id"] = "req-1"
        logger[metadataKey: "caller"] = "deploy-bot"
        logger.warning("cancel request finished", metadata: ["item.count": "3", "outcomes": "cancelled=2,not_found=1", "caller": "override"])
        logger.error("odd values", metadata: [
            "list": .array(["a", "b c", .dictionary(["k": "v"])]), "map": .dictionary(["z": .array([])]),
            "convertible": .stringConvertible(42), "empty": "", "unicode": "é\u{1F600} \"quoted\"",
        ])
        logger.critical("failed", error: Failure())
        logger[metadataKey: "caller"] = nil
        logger.notice("no metadata of its own")
    }

    @Test(arguments: ["cancelgate", ""])
    func linesAreStreamLogHandlersAfterTheTimestamp(label: String) {
        let provider = Logger.MetadataProvider { ["trace.id": "t-9", "request.id": "from-provider"] }
        for withProvider in [false, true] {
            let ours = LogLines(), theirs = StreamCapture()
            var mine = Logger(label: label) { label in
                var handler = TextLogHandler(label: label, metadataProvider: withProvider ? provider : nil, write: ours.append)
                handler.logLevel = .trace
                return handler
            }
            var reference = Logger(label: label) { label in
                var handler = StreamLogHandler(label: label, stream: theirs, metadataProvider: withProvider ? provider : nil)
                handler.logLevel = .trace
                return handler
            }
            Self.emit(&mine)
            Self.emit(&reference)
            let expected = theirs.lines
            #expect(ours.lines.count == expected.count && expected.count == 5)
            for (line, wanted) in zip(ours.lines, expected) {
                #expect(Self.withoutTimestamp(line) == Self.withoutTimestamp(wanted), "provider: \(withProvider)")
                #expect(line.hasSuffix("\n") && !line.dropLast().contains("\n"))
            }
        }
    }

    @Test func timestampIsLocalTimeToTheSecondWithItsOffset() throws {
        let stamp = String(try #require(LogLinesStamp.first()))
        // 2026-12-04T04:10:00+0000
        #expect(stamp.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}/) != nil, "\(stamp)")
    }

    static func withoutTimestamp(_ line: String) -> Substring {
        line.drop { $0 != " " }
    }
}

/// The first token of a TextLogHandler line: its timestamp.
enum LogLinesStamp {
    static func first() -> Substring? {
        let lines = LogLines()
        let logger = Logger(label: "t") { TextLogHandler(label: $0, write: lines.append) }
        logger.info("x")
        return lines.lines.first?.split(separator: " ").first
    }
}

/// StreamLogHandler's output stream, captured (it writes each line with one `write`).
final class StreamCapture: TextOutputStream, @unchecked Sendable {
    private let lock = NSLock()
    private var text = ""

    func write(_ string: String) {
        lock.withLock { text += string }
    }

    var lines: [String] {
        lock.withLock { text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { $0 + "\n" } }
    }
}
