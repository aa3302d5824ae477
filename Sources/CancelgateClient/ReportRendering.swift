internal import Foundation

/// The merged report for people (a table), for programs (JSON) and for spreadsheets (CSV).
extension MergedReport {
    /// One row per item, then a summary line (and the failure, when a request failed).
    public func table() -> String {
        let header = ["#", "id", "upstream", "outcome", "detail"]
        let rows = results.map { result -> [String] in
            let detail: String =
                if let error = result.error {
                    "\(error.code): \(Self.truncate(error.message, 70))"
                } else {
                    result.cancelledAt.map { "at \($0)" } ?? ""
                }
            return [String(result.index), Self.truncate(result.id, 38), result.upstream ?? "-", result.outcome, detail]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            let padded = zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            return String(padded.reversed().drop { $0 == " " }.reversed())
        }
        let lines = [line(header), line(widths.map { String(repeating: "─", count: $0) })] + rows.map(line)
        return lines.joined(separator: "\n") + "\n\n" + summaryLine()
    }

    /// `8 items in 3 requests (1 replayed): 6 succeeded, 1 failed, 1 already terminal (cancelled 5, …)`.
    public func summaryLine() -> String {
        let counts = summary.outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let requests = requestIDs.count == 1 ? "request \(requestIDs[0])" : "\(requestIDs.count) requests"
        let replays = replayedRequests == 0 ? "" : " (\(replayedRequests) replayed from an earlier run)"
        let terminal = summary.outcomes[OutcomeWord.alreadyTerminal] ?? 0
        let tally =
            dryRun
            ? "dry run, \(summary.outcomes[OutcomeWord.planned] ?? 0) planned, \(summary.failed) not plannable"
            : "\(summary.succeeded) succeeded, \(summary.failed) failed, \(terminal) already terminal"
        var text = "\(summary.total) items, \(requests)\(replays): \(tally) (\(counts))"
        if let error {
            text += "\nrequest \(error.request + 1) of \(error.requests) failed, \(error.notSent) items not sent: \(error.message)"
        }
        return text
    }

    /// The report as one JSON object, keys sorted, pretty-printed.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and bools always encode.
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    public static let csvColumns = [
        "index", "id", "upstream", "provider", "outcome", "retryable", "http_status", "attempts", "cancelled_at", "error_code", "error_message",
    ]

    /// RFC 4180: a header, one record per item, CRLF line ends, a field quoted when it holds a
    /// comma, a quote, CR or LF, quotes doubled inside.
    public func csv() -> String {
        let records = results.map { result in
            [
                String(result.index), result.id, result.upstream ?? "", result.provider ?? "", result.outcome, String(result.retryable),
                result.httpStatus.map(String.init) ?? "", String(result.attempts), result.cancelledAt ?? "", result.error?.code ?? "",
                result.error?.message ?? "",
            ]
        }
        return ([Self.csvColumns] + records).map { $0.map(Self.csvField).joined(separator: ",") + "\r\n" }.joined()
    }

    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static func truncate(_ text: String, _ length: Int) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ")
        return flat.count <= length ? flat : String(flat.prefix(length - 1)) + "…"
    }
}
