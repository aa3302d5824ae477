internal import CancelgateWire
internal import CancelgateCore
internal import Foundation
internal import Logging

/// One `Idempotency-Key` use: whose key it is and which request it names.
struct IdempotencyKeyUse: Sendable {
    /// The authenticated caller, or "" without caller authentication: keys never cross callers.
    let caller: String
    let key: String
    let fingerprint: String

    init(caller: String?, key: String, fingerprint: String) {
        self.caller = caller ?? ""
        self.key = key
        self.fingerprint = fingerprint
    }
}

/// `Idempotency-Key` with Stripe's semantics, checked once the envelope is valid and the caller
/// known: the first request with a key runs and its report is stored (in the store, for
/// `retention_days`; in memory, 24 hours); the same
/// request again gets that report (`Idempotent-Replayed: true`) and calls no upstream; another
/// request with the key gets 422; the same request while the first still runs gets 409.
extension CancelController {
    /// A finished key older than this is treated as unused.
    var keyRetentionMs: Int {
        let store = live.current.config.store
        return store.backend == .memory ? Int(InMemoryIdempotencyStore.defaultRetention * 1000) : store.retentionDays * 86_400_000
    }

    enum IdempotentAnswer {
        case ran(CancelReport)
        case replayed(CancelReport)
    }

    /// Runs `run` unless the key has an answer already. The report is stored (with the completed
    /// `record`, in one write) before the answer is written, in the request's own task:
    /// Hummingbird keeps running a handler whose client went away, so a caller that gave up
    /// finds the report when it retries.
    func once(
        _ use: IdempotencyKeyUse, record: CancelRecord, logger: Logger, run: () async throws -> CancelReport
    ) async throws -> IdempotentAnswer {
        let now = RecordTime.nowMs()
        let claim = KeyClaim(
            scope: use.caller, key: use.key, fingerprint: use.fingerprint, recordID: record.recordID, nowMs: now,
            leaseUntilMs: record.leaseUntilMs, expiredBeforeMs: now - Int64(keyRetentionMs))
        switch await keeper.claim(claim) {
        case .replay(let report, let storedAt):
            // `request.id` is the answered report's; this request's own ID goes beside it.
            var logger = logger
            let replayID = logger[metadataKey: "request.id"] ?? "-"
            logger[metadataKey: "request.id"] = "\(report.requestID)"
            logger.info(
                "idempotent replay",
                metadata: [
                    "replay.request_id": replayID, "item.count": "\(report.summary.total)",
                    "stored_at": "\(storedAt.formatted(.iso8601))",
                ])
            return .replayed(report)
        case .mismatch:
            throw Problem.invalid([
                .init(
                    pointer: "",
                    message: "header Idempotency-Key was already used with another request body; use a new key for a different request")
            ])
        case .inProgress:
            throw Problem.conflict("A request with this Idempotency-Key is still running; send it again once that one has answered.")
        case .proceed:
            do {
                let report = try await run()
                await keeper.finished(
                    record.completed(with: report, atMs: RecordTime.nowMs()),
                    completing: KeyCompletion(scope: use.caller, key: use.key, fingerprint: use.fingerprint, recordID: record.recordID, report: report))
                return .ran(report)
            } catch {
                // No report: the key was not used up.
                await keeper.release(scope: use.caller, key: use.key, recordID: record.recordID)
                throw error
            }
        }
    }
}
