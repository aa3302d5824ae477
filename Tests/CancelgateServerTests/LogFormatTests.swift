import CancelgateCore
import CancelgateServer
import Foundation
import HTTPTypes
import Logging
import NIOCore
import Testing

/// `--log-format json`: one JSON object per line, greppable by request ID: the request's own
/// line with its caller, item count, outcome counts and duration, and at debug level one line
/// per upstream call carrying the same request ID.
@Suite struct LogFormatTests {
    @Test func oneJSONLinePerRequestAndUpstreamCallsAtDebug() async throws {
        let lines = LogLines()
        var settings = GatewayHarness.Settings(clients: [(name: "deploy-bot", token: "tok-0123456789", upstreams: ["kubiya", "skyvern", "meibel", "c1"])])
        settings.extraLogHandler = JSONLogHandler(label: "cancelgate", write: lines.append)
        settings.autoCreate = true
        try await GatewayHarness.run(settings) { h in
            let ids = [TestIDs.uuid(), TestIDs.skyvernTask(), TestIDs.meibel(), TestIDs.c1(), "unroutable-1"]
            _ = try await h.cancel(ids: ids, headers: [.authorization: "Bearer tok-0123456789", .init("X-Request-ID")!: "req-42"])
        }
        let objects = try lines.lines.map { line in
            #expect(line.hasSuffix("\n") && line.dropLast().contains("\n") == false, "one object per line")
            return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        for object in objects {
            #expect(object["timestamp"] is String && object["level"] is String && object["message"] is String)
        }
        let finished = objects.filter { $0["message"] as? String == "cancel request finished" }
        try #require(finished.count == 1)
        let line = finished[0]
        #expect(line["request.id"] as? String == "req-42")
        #expect(line["caller"] as? String == "deploy-bot")
        #expect(line["item.count"] as? String == "5")
        #expect((line["outcomes"] as? String)?.contains("unroutable=1") == true)
        #expect(Int(line["duration_ms"] as? String ?? "") != nil)
        #expect(line["level"] as? String == "info")

        let calls = objects.filter { $0["message"] as? String == "upstream call finished" }
        #expect(Set(calls.compactMap { $0["upstream.name"] as? String }) == ["kubiya", "skyvern", "meibel", "c1"])
        #expect(calls.allSatisfy { $0["request.id"] as? String == "req-42" && $0["level"] as? String == "debug" })
    }

    @Test func infoLevelLeavesOutUpstreamCalls() async throws {
        let lines = LogLines()
        var settings = GatewayHarness.Settings(logLevel: .info)
        settings.extraLogHandler = JSONLogHandler(label: "cancelgate", write: lines.append)
        try await GatewayHarness.run(settings) { h in
            _ = try await h.cancel(ids: [TestIDs.meibel()])
        }
        #expect(lines.text.contains("cancel request finished"))
        #expect(!lines.text.contains("upstream call finished"))
    }
}

/// Captures a `JSONLogHandler`'s lines.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var captured: [String] = []

    var lines: [String] { lock.withLock { captured } }
    var text: String { lines.joined() }

    var append: @Sendable (String) -> Void {
        { [self] line in lock.withLock { captured.append(line) } }
    }
}
