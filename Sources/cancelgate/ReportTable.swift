import CancelgateCore
import Foundation

/// The report as a table for people.
enum ReportTable {
    static func render(_ report: CancelReport) -> String {
        let header = ["#", "id", "upstream", "outcome", "http", "tries", "detail"]
        let rows = report.results.map { result -> [String] in
            let detail: String =
                if let error = result.error { "\(error.code.rawValue): \(truncate(error.message, 70))" } else { result.cancelledAt.map { "at \($0)" } ?? "" }
            return [
                String(result.index), truncate(result.id, 38), result.upstream ?? "-", result.outcome.rawValue,
                result.httpStatus.map(String.init) ?? "-", String(result.attempts),
                detail,
            ]
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            let padded = zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
            return String(padded.reversed().drop { $0 == " " }.reversed())
        }
        let summary = report.summary
        let counts = summary.outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return ([line(header), line(widths.map { String(repeating: "─", count: $0) })] + rows.map(line)).joined(separator: "\n")
            + "\n\nrequest \(report.requestID): \(summary.total) items, \(summary.succeeded) succeeded, \(summary.failed) failed (\(counts))"
    }

    private static func truncate(_ text: String, _ length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }
}
