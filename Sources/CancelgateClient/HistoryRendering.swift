public import CancelgateWire
internal import Foundation

/// `cancelgate history RUN_ID`: one line per time the run was named in a request, newest first.
public struct RunHistory: Sendable, Encodable {
    public struct Entry: Sendable, Encodable {
        public var received_at: String
        public var caller: String?
        public var request_id: String
        public var state: String
        public var reason: String
        public var dry_run: Bool
        public var result: ItemResult
    }

    public var id: String
    public var entries: [Entry]

    public init(id: String, records: [CancelRecord]) {
        self.id = id
        self.entries = records.flatMap { record in
            (record.results ?? []).filter { $0.id == id }.map { result in
                Entry(
                    received_at: RecordTime.format(record.receivedAtMs), caller: record.caller, request_id: record.requestID, state: record.state.rawValue,
                    reason: record.reason, dry_run: record.dryRun, result: result)
            }
        }
    }

    public static let csvColumns = ["received_at", "caller", "request_id", "state", "outcome", "error_code", "upstream", "reason", "dry_run"]

    public func table() -> String {
        guard !entries.isEmpty else { return "No record names \(id)." }
        let header = ["RECEIVED", "CALLER", "OUTCOME", "REQUEST", "REASON"]
        let rows = entries.map { entry in
            [
                entry.received_at, entry.caller ?? "-",
                entry.result.outcome.rawValue + (entry.result.error.map { " (\($0.code.rawValue))" } ?? "") + (entry.dry_run ? " [dry run]" : "")
                    + (entry.state == "interrupted" ? " [interrupted]" : ""),
                entry.request_id, Self.clip(entry.reason, 60),
            ]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        let lines = ([header] + rows).map { row in
            row.enumerated().map { $0.offset == row.count - 1 ? $0.element : $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        let who = Set(entries.compactMap(\.caller)).sorted()
        let requests = Set(entries.map(\.request_id)).count
        let times = entries.count == requests ? "" : " (\(entries.count) times)"
        return lines.joined(separator: "\n") + "\n\n\(id): named in \(requests) request\(requests == 1 ? "" : "s")\(times)"
            + (who.isEmpty ? "" : " by \(who.joined(separator: ", "))") + "; newest first."
    }

    public func csv() -> String {
        let records = entries.map { entry in
            [
                entry.received_at, entry.caller ?? "", entry.request_id, entry.state, entry.result.outcome.rawValue, entry.result.error?.code.rawValue ?? "",
                entry.result.upstream ?? "", entry.reason, String(entry.dry_run),
            ]
        }
        return ([Self.csvColumns] + records).map { $0.map(MergedReport.csvField).joined(separator: ",") + "\r\n" }.joined()
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    static func clip(_ text: String, _ width: Int) -> String {
        text.count <= width ? text : String(text.prefix(width - 1)) + "…"
    }
}

extension CancelRecord {
    /// `cancelgate history --request ID`: the record's header, then its results as a table.
    public func table() -> String {
        let report = CancelReport(requestID: requestID, dryRun: dryRun, summary: summary, results: results ?? [], plan: nil)
        let header = """
            request \(requestID)  state \(state.rawValue)  caller \(caller ?? "-")
            received \(RecordTime.format(receivedAtMs))  finished \(finishedAtMs.map(RecordTime.format) ?? "-")\(idempotencyKey.map { "  idempotency key \($0)" } ?? "")
            reason: \(reason)

            """
        return header + report.table()
    }

    public func csv() -> String {
        MergedReport(requestIDs: [requestID], replayedRequests: 0, dryRun: dryRun, summary: summary, results: results ?? [], plan: nil, error: nil).csv()
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }
}
