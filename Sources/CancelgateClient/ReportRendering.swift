public import CancelgateWire
internal import Foundation

/// The merged report for people (a table), for programs (JSON) and for spreadsheets (CSV).
extension MergedReport {
    /// One row per item, then a summary line (and the failure, when a request failed).
    public func table() -> String {
        ReportTable.render(results) + "\n\n" + summaryLine()
    }

    /// `8 items in 3 requests (1 replayed): 6 succeeded, 1 failed, 1 already terminal (cancelled 5, …)`.
    public func summaryLine() -> String {
        let counts = ReportTable.counts(summary)
        let requests = requestIDs.count == 1 ? "request \(requestIDs[0])" : "\(requestIDs.count) requests"
        let replays = replayedRequests == 0 ? "" : " (\(replayedRequests) replayed from an earlier run)"
        let terminal = summary.outcomes[Outcome.alreadyTerminal.rawValue] ?? 0
        let tally =
            dryRun
            ? "dry run, \(summary.outcomes[Outcome.planned.rawValue] ?? 0) planned, \(summary.failed) not plannable"
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
        "confirmed", "provider_status",
    ]

    /// RFC 4180: a header, one record per item, CRLF line ends, a field quoted when it holds a
    /// comma, a quote, CR or LF, quotes doubled inside.
    public func csv() -> String {
        Self.csv(results, header: true)
    }

    /// `results` as CSV records (after the header line when `header`): a job's results are
    /// written page by page with the header once.
    public static func csv(_ results: [ItemResult], header: Bool) -> String {
        let records = results.map { result in
            [
                String(result.index), result.id, result.upstream ?? "", result.provider ?? "", result.outcome.rawValue, String(result.retryable),
                result.httpStatus.map(String.init) ?? "", String(result.attempts), result.cancelledAt ?? "", result.error?.code.rawValue ?? "",
                result.error?.message ?? "", result.confirmed.map(String.init) ?? "", result.providerStatus ?? "",
            ]
        }
        return ((header ? [csvColumns] : []) + records).map { $0.map(csvField).joined(separator: ",") + "\r\n" }.joined()
    }

    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
