/// Results as a table for people: the demo's report and `cancelgate cancel`'s both use it.
public enum ReportTable {
    public static let header = ["#", "id", "upstream", "outcome", "http", "tries", "detail"]

    /// A header, a rule, one row per result; columns as wide as their widest cell.
    public static func render(_ results: [ItemResult]) -> String {
        let rows = results.map { result -> [String] in
            let detail: String =
                if let error = result.error {
                    "\(error.code.rawValue): \(truncate(error.message, 70))"
                } else {
                    result.cancelledAt.map { "at \($0)" } ?? ""
                }
            return [
                String(result.index), truncate(result.id, 38), result.upstream ?? "-", result.outcome.rawValue,
                result.httpStatus.map(String.init) ?? "-", String(result.attempts),
                [confirmation(result), detail].filter { !$0.isEmpty }.joined(separator: "; "),
            ]
        }
        return grid(header: header, rows: rows)
    }

    /// `confirmed CANCELED` or `not confirmed (RUNNING)` for a confirmed cancellation's result.
    static func confirmation(_ result: ItemResult) -> String {
        guard let confirmed = result.confirmed else { return "" }
        let word = result.providerStatus.map { truncate($0, 40) } ?? "unread"
        return confirmed ? "confirmed \(word)" : "not confirmed (\(word))"
    }

    /// A header, a rule, one row per line; columns as wide as their widest cell.
    public static func grid(header: [String], rows: [[String]]) -> String {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            let padded = zip(cells, widths).map { pad($0, to: $1) }.joined(separator: "  ")
            return String(padded.reversed().drop { $0 == " " }.reversed())
        }
        return ([line(header), line(widths.map { String(repeating: "─", count: $0) })] + rows.map(line)).joined(separator: "\n")
    }

    /// `cancelled 5, failed 1, …`: the summary's outcome counts in name order.
    public static func counts(_ summary: Summary) -> String {
        summary.outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    private static func pad(_ text: String, to width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// One line, at most `length` characters.
    public static func truncate(_ text: String, _ length: Int) -> String {
        let flat = text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: " ")
        return flat.count <= length ? flat : String(flat.prefix(length - 1)) + "…"
    }
}

extension CancelReport {
    /// The table, then `request <id>: N items, S succeeded, F failed (counts)`.
    public func table() -> String {
        ReportTable.render(results)
            + "\n\nrequest \(requestID): \(summary.total) items, \(summary.succeeded) succeeded, \(summary.failed) failed (\(ReportTable.counts(summary)))"
    }
}
