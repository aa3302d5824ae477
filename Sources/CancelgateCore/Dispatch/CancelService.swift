public import CancelgateWire
public import Logging

/// Plan → dispatch → report for one valid request. Holds no state of its own beyond the
/// configuration and the per-upstream send functions.
public final class CancelService: Sendable {
    public let config: RoutesConfig
    let planner: Planner
    let dispatcher: Dispatcher

    init(config: RoutesConfig, dispatcher: Dispatcher) {
        self.config = config
        self.planner = Planner(config: config)
        self.dispatcher = dispatcher
    }

    /// - Parameter registry: what upstreams share across requests and reloads (limits, C1 tokens).
    public convenience init(config: RoutesConfig, transport: any HTTPTransport, metrics: GatewayMetrics = .disabled, registry: UpstreamRegistry = UpstreamRegistry()) {
        self.init(config: config, dispatcher: Dispatcher(config: config, transport: transport, metrics: metrics, registry: registry))
    }

    /// - Parameter beforeSending: called once the request is planned, before the first upstream
    ///   call (not for a dry run), with the report as it would read if nothing were answered
    ///   (`ReportBuilder.provisional`): the running record.
    public func cancel(
        _ request: CancelRequest, logger: Logger, beforeSending: @Sendable (CancelReport) async -> Void = { _ in }
    ) async -> CancelReport {
        let plan = planner.plan(request)
        if request.dryRun {
            return ReportBuilder.build(
                plan: plan, resolutions: [:], requestID: request.requestID, dryRun: true, plannedCalls: planner.plannedCalls(plan, reason: request.reason))
        }
        await beforeSending(ReportBuilder.provisional(plan: plan, requestID: request.requestID))
        let deadline = dispatcher.clock.now + config.server.requestTimeout
        var resolutions = await dispatcher.run(plan, request: request, deadline: deadline, logger: logger)
        resolutions = await confirm(plan, resolutions, request: request, deadline: deadline, logger: logger)
        return ReportBuilder.build(plan: plan, resolutions: resolutions, requestID: request.requestID, dryRun: false)
    }
}
