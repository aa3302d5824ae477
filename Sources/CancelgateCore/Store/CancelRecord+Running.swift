public import CancelgateWire
internal import Foundation

extension CancelRecord {
    /// The running record of a request about to be sent: `provisional` is the report as it would
    /// read if nothing were answered (see `ReportBuilder.provisional`).
    public static func running(
        _ request: CancelRequest, provisional: CancelReport, caller: String?, idempotencyKey: String?, receivedAtMs: Int64, leaseUntilMs: Int64
    ) -> CancelRecord {
        CancelRecord(
            recordID: LowercaseUUID.makeTimeOrdered(ms: receivedAtMs), requestID: request.requestID, caller: caller, receivedAtMs: receivedAtMs, state: .running, reason: request.reason,
            dryRun: request.dryRun, idempotencyKey: idempotencyKey, summary: provisional.summary, results: provisional.results,
            leaseUntilMs: leaseUntilMs)
    }
}
