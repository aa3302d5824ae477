public import CancelgateWire
internal import Foundation

/// A status report for people (a table), for programs (JSON) and for spreadsheets (CSV).
extension StatusReport {
    static let header = ["#", "id", "upstream", "state", "provider status", "ended at", "detail"]

    /// One row per entry, then `N runs: running 2, cancelled 1, …`.
    public func table() -> String {
        let rows = results.map { result in
            [
                String(result.index), ReportTable.truncate(result.id, 38), result.upstream ?? "-", result.state.rawValue,
                ReportTable.truncate(result.providerStatus ?? "-", 40), result.endedAt ?? "",
                result.error.map { "\($0.code.rawValue): \(ReportTable.truncate($0.message, 60))" } ?? "",
            ]
        }
        let counts = summary.states.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return ReportTable.grid(header: Self.header, rows: rows) + "\n\n\(summary.total) runs: \(counts)"
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    public static let csvColumns = [
        "index", "id", "upstream", "provider", "state", "provider_status", "ended_at", "http_status", "attempts", "retryable", "error_code",
        "error_message",
    ]

    /// RFC 4180, as `cancelgate cancel --csv`.
    public func csv() -> String {
        let records = results.map { result in
            [
                String(result.index), result.id, result.upstream ?? "", result.provider ?? "", result.state.rawValue, result.providerStatus ?? "",
                result.endedAt ?? "", result.httpStatus.map(String.init) ?? "", String(result.attempts), String(result.retryable),
                result.error?.code.rawValue ?? "", result.error?.message ?? "",
            ]
        }
        return ([Self.csvColumns] + records).map { $0.map(MergedReport.csvField).joined(separator: ",") + "\r\n" }.joined()
    }

    /// 0 when every run's status was read; 1 when some could not be (unknown, invalid,
    /// unroutable, forbidden, not found).
    public var exitCode: Int32 {
        results.allSatisfy { [.running, .cancelled, .ended].contains($0.state) } ? 0 : 1
    }
}
