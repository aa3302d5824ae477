internal import CancelgateWire
/// Joins the plan's per-entry decisions with the dispatcher's per-unit answers into the report:
/// one result per requested entry, in request order.
enum ReportBuilder {
    /// - Parameter unanswered: what an item to be sent gets when `resolutions` has nothing for it.
    static func build(
        plan: Plan, resolutions: [UnitKey: Resolution], requestID: String, dryRun: Bool, plannedCalls: [PlannedCall]? = nil,
        unanswered: Resolution = .failure(.notReported, "No answer was recorded for this item.", retryable: true).with(attempts: 0)
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
                    : resolutions[key] ?? unanswered
            }
            return ItemResult(
                index: entry.index, id: entry.id, upstream: entry.upstream, provider: entry.provider?.rawValue, outcome: resolution.outcome,
                retryable: resolution.retryable, cancelledAt: resolution.cancelledAt, httpStatus: resolution.httpStatus,
                attempts: resolution.attempts, error: resolution.error, confirmed: resolution.confirmed, providerStatus: resolution.providerStatus)
        }
        return CancelReport(requestID: requestID, dryRun: dryRun, summary: summarize(results), results: results, plan: dryRun ? (plannedCalls ?? []) : nil)
    }

    /// The report as it would read if the gateway died before any answer: locally decided items
    /// as they are, every item to be sent `failed`, `interrupted`. A running record holds it.
    static func provisional(plan: Plan, requestID: String) -> CancelReport {
        build(
            plan: plan, resolutions: [:], requestID: requestID, dryRun: false,
            unanswered: .failure(
                .interrupted, "The gateway stopped before this item was answered; it may or may not have been cancelled.", retryable: true
            ).with(attempts: 0))
    }

    static func summarize(_ results: [ItemResult]) -> Summary {
        Summary(results)
    }
}
