internal import CancelgateWire
/// Joins the plan's per-entry decisions with the dispatcher's per-unit answers into the report:
/// one result per requested entry, in request order.
enum ReportBuilder {
    static func build(
        plan: Plan, resolutions: [UnitKey: Resolution], requestID: String, dryRun: Bool, plannedCalls: [PlannedCall]? = nil
    ) -> CancelReport {
        let results = plan.entries.map { entry -> ItemResult in
            let resolution: Resolution
            switch entry.disposition {
            case .decided(let decided):
                resolution = decided
            case .send(let key):
                resolution =
                    dryRun
                    ? Resolution(outcome: .planned, attempts: 0)
                    : resolutions[key]
                        ?? .failure(.notReported, "No answer was recorded for this item.", retryable: true).with(attempts: 0)
            }
            return ItemResult(
                index: entry.index, id: entry.id, upstream: entry.upstream, provider: entry.provider?.rawValue, outcome: resolution.outcome,
                retryable: resolution.retryable, cancelledAt: resolution.cancelledAt, httpStatus: resolution.httpStatus,
                attempts: resolution.attempts, error: resolution.error)
        }
        return CancelReport(requestID: requestID, dryRun: dryRun, summary: summarize(results), results: results, plan: dryRun ? (plannedCalls ?? []) : nil)
    }

    static func summarize(_ results: [ItemResult]) -> Summary {
        Summary(results)
    }
}
