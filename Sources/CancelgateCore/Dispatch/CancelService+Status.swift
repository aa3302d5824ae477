public import CancelgateWire
public import Logging

/// `POST /v1/status` and confirmed cancellation (CONTRACT §7), on the same plan and pipelines as
/// cancels: routing, local rejections, caller scoping and de-duplication are the planner's.
extension CancelService {
    /// One status read per unique (upstream, run); no cancel is ever sent. Entries decided by
    /// the planner (unroutable, invalid, forbidden) are never read.
    public func status(_ request: CancelRequest, logger: Logger) async -> StatusReport {
        let plan = planner.plan(request)
        let deadline = dispatcher.clock.now + config.server.requestTimeout
        let targets = plan.work.map { (upstream: $0.upstream.name, units: Array($0.chunks.joined())) }
        let statuses = await dispatcher.readStatuses(
            targets, deadline: deadline, context: CallContext(deadline: deadline, logger: logger, requestID: request.requestID))
        let results = plan.entries.map { entry -> StatusResult in
            let status: RunStatus
            switch entry.disposition {
            case .decided(let decided): status = RunStatus(failure: decided).with(attempts: 0)
            case .send(let key):
                status = statuses[key] ?? RunStatus(state: .unknown, error: ItemError(.notReported, "No status was recorded for this run."), attempts: 0)
            }
            return StatusResult(
                index: entry.index, id: entry.id, upstream: entry.upstream, provider: entry.provider?.rawValue, state: status.state,
                providerStatus: status.providerStatus, endedAt: status.endedAt, httpStatus: status.httpStatus, attempts: status.attempts,
                retryable: status.retryable, error: status.error)
        }
        return StatusReport(requestID: request.requestID, summary: StatusSummary(results), results: results)
    }

    /// Confirmed cancellation: every unit that ended `cancelled` or `cancel_requested` on an
    /// upstream to confirm is read once (by the request's deadline), then again every
    /// `confirm_interval_ms` while it runs (or its read failed and may succeed later), until
    /// `confirm_max_wait_ms` or the request's deadline.
    func confirm(_ plan: Plan, _ resolutions: [UnitKey: Resolution], request: CancelRequest, deadline: ContinuousClock.Instant, logger: Logger)
        async -> [UnitKey: Resolution]
    {
        var pending = plan.work.compactMap { work -> (upstream: String, units: [PlannedUnit])? in
            guard request.confirm ?? work.upstream.confirm else { return nil }
            let units = work.chunks.joined().filter { resolutions[$0.key].map { $0.outcome.isSuccess } ?? false }
            return units.isEmpty ? nil : (work.upstream.name, units)
        }
        guard !pending.isEmpty else { return resolutions }
        let toConfirm = pending.flatMap { $0.units.map(\.key) }
        let clock = dispatcher.clock
        let end = min(deadline, clock.now + .milliseconds(config.server.confirmMaxWaitMs))
        let interval = Duration.milliseconds(config.server.confirmIntervalMs)
        var statuses: [UnitKey: RunStatus] = [:]
        // The first read is always made, within the request's deadline; only the repeats stop at
        // `confirm_max_wait_ms` (a slow first read must not leave a stopped run unconfirmed).
        var roundEnd = deadline
        while !pending.isEmpty {
            let context = CallContext(deadline: roundEnd, logger: logger, requestID: request.requestID)
            let read = await dispatcher.readStatuses(pending, deadline: roundEnd, context: context)
            roundEnd = end
            for (key, status) in read {
                // A read cut off by the deadline does not erase what an earlier read showed.
                if status.state == .unknown, let earlier = statuses[key], earlier.state != .unknown { continue }
                statuses[key] = status
            }
            pending = pending.compactMap { target in
                let open = target.units.filter { statuses[$0.key].map(Confirmation.readAgain) ?? false }
                return open.isEmpty ? nil : (target.upstream, open)
            }
            guard !pending.isEmpty, clock.now + interval < end else { break }
            do { try await clock.sleep(for: interval) } catch { break }
        }
        var confirmed = resolutions
        // A unit the deadline left no time to read is not confirmed either.
        let unread = RunStatus(
            state: .unknown, retryable: true,
            error: ItemError(.deadlineExceeded, "The deadline passed before the status of this run could be read."), attempts: 0)
        for key in toConfirm {
            guard let resolution = confirmed[key] else { continue }
            let settled = Confirmation.apply(statuses[key] ?? unread, to: resolution)
            confirmed[key] = settled
            dispatcher.metrics.confirmation(upstream: key.upstream, result: Confirmation.metricResult(settled))
        }
        return confirmed
    }
}

/// How one status read changes a cancel's result (CONTRACT §7).
enum Confirmation {
    /// Still running, or unread for a reason that may pass (not the deadline).
    static func readAgain(_ status: RunStatus) -> Bool {
        status.state == .running || (status.state == .unknown && status.retryable && status.error?.code != .deadlineExceeded)
    }

    /// `cancelled` read: `cancelled`, confirmed; ended otherwise: `already_terminal`, confirmed
    /// (Skyvern's completed workflow run that its cancel answered as cancelled); anything else:
    /// the outcome stands, `confirmed: false`.
    static func apply(_ status: RunStatus, to resolution: Resolution) -> Resolution {
        var settled = resolution
        switch status.state {
        case .cancelled:
            settled.outcome = .cancelled
            settled.cancelledAt = resolution.cancelledAt ?? status.endedAt
            settled.confirmed = true
        case .ended:
            settled = Resolution.refused(
                .alreadyTerminal, .alreadyTerminal,
                "The provider accepted the cancel, but its status read shows the run ended without being cancelled.", status: resolution.httpStatus
            ).with(attempts: resolution.attempts)
            settled.confirmed = true
        default:
            settled.confirmed = false
        }
        settled.providerStatus = status.providerStatus
        return settled
    }

    static func metricResult(_ resolution: Resolution) -> String {
        resolution.confirmed == true ? resolution.outcome.rawValue : "unconfirmed"
    }
}
