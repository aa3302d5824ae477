internal import CancelgateWire
internal import Foundation
internal import Logging

/// Makes a plan's upstream calls, the only place that sends anything: every upstream at once,
/// each through its `Pipeline`, the whole request bounded by its deadline. Whatever is unresolved
/// when the deadline passes is `failed`, `deadline_exceeded`, retryable, so every unit always has
/// an answer.
///
/// Per request and upstream one sliding window serves chunks and the adapters' follow-ups; it
/// keeps at most `concurrency` of this request's calls queued at the shared limit, so one request
/// of a thousand IDs cannot queue ahead of every call of the requests that come after it.
struct Dispatcher: Sendable {
    /// Per upstream name: its whole pipeline (shared state lives in the registry's resources).
    let pipelines: [String: UpstreamCall]
    let clock: UpstreamClock

    /// - Parameters:
    ///   - registry: what the upstreams share across requests and reloads; a new one when omitted.
    ///   - unitRandom: the retry jitter's uniform draw in 0...1 (tests pass a constant).
    init(
        config: RoutesConfig, transport: any HTTPTransport, metrics: GatewayMetrics = .disabled, registry: UpstreamRegistry = UpstreamRegistry(),
        clock: UpstreamClock = .continuous, unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0...1) },
        wallClock: @escaping @Sendable () -> Date = { Date() }
    ) {
        let settings = Pipeline.Settings(clock: clock, metrics: metrics, unitRandom: unitRandom, wallClock: wallClock)
        self.clock = clock
        self.pipelines = Dictionary(
            uniqueKeysWithValues: config.upstreams.map { upstream in
                let resources = registry.resources(for: upstream, transport: transport, clock: clock, metrics: metrics)
                let call = Pipeline.call(
                    for: upstream, adapter: Adapters.adapter(for: upstream), resources: resources, transport: transport, settings: settings)
                return (upstream.name, call)
            })
    }

    private enum Event: Sendable {
        case answered(window: Int, UnitCall, UpstreamReply)
        case deadline
    }

    func run(_ plan: Plan, request: CancelRequest, deadline: ContinuousClock.Instant, logger: Logger) async -> [UnitKey: Resolution] {
        var results: [UnitKey: Resolution] = [:]
        var windows = plan.work.compactMap { work in pipelines[work.upstream.name].map { Window(work: work, send: $0) } }
        let context = CallContext(deadline: deadline, logger: logger, requestID: request.requestID)
        await withTaskGroup(of: Event.self) { group in
            for index in windows.indices {
                while let call = windows[index].next(reason: request.reason) {
                    let send = windows[index].send
                    group.addTask { .answered(window: index, call, await send(call.request, context)) }
                }
            }
            guard windows.contains(where: { $0.inFlight > 0 }) else { return }
            group.addTask { [clock] in
                try? await clock.sleep(until: deadline)
                return .deadline
            }
            var expired = false
            for await event in group {
                switch event {
                case .answered(let index, let call, let answer):
                    windows[index].inFlight -= 1
                    let reply = UpstreamReply(
                        result: answer.result, attempts: call.priorAttempts + answer.attempts, inDoubt: call.priorInDoubt || answer.inDoubt)
                    log(reply, of: call, upstream: windows[index].work.upstream.name, logger: logger)
                    let reading = windows[index].work.adapter.interpret(reply, to: call, upstream: windows[index].work.upstream.name)
                    for unit in call.units {
                        if let resolution = reading.resolutions[unit.id] {
                            results[unit.key] = resolution.attempted(reply.attempts, inDoubt: reply.inDoubt)
                        }
                    }
                    // Kept even after the deadline: a follow-up never sent still carries its units' attempts.
                    windows[index].followUps.append(contentsOf: reading.followUps)
                    guard !expired else { continue }
                    while let next = windows[index].next(reason: request.reason) {
                        let send = windows[index].send
                        group.addTask { .answered(window: index, next, await send(next.request, context)) }
                    }
                    if !windows.contains(where: { $0.inFlight > 0 }) { group.cancelAll() }
                case .deadline:
                    // Calls still running are cancelled; their units are filled in below.
                    expired = true
                    group.cancelAll()
                }
            }
        }
        // Every call that was started has answered (cancelled ones too); what is left was never
        // sent, or waited for a follow-up that never went.
        for window in windows {
            let name = window.work.upstream.name
            for call in window.followUps {
                for unit in call.units where results[unit.key] == nil {
                    results[unit.key] = Resolution.failure(
                        .deadlineExceeded, "The request's deadline passed before \(name) was asked about this run again; it may or may not be cancelled.",
                        retryable: true
                    ).attempted(call.priorAttempts, inDoubt: call.priorInDoubt)
                }
            }
        }
        for work in plan.work {
            for unit in work.chunks.joined() where results[unit.key] == nil {
                results[unit.key] = Resolution.failure(
                    .deadlineExceeded, "The request's deadline passed before the call to \(work.upstream.name) could be sent; nothing was sent.",
                    retryable: true
                ).with(attempts: 0)
            }
        }
        return results
    }

    private func log(_ reply: UpstreamReply, of call: UnitCall, upstream: String, logger: Logger) {
        logger.debug(
            "upstream call finished",
            metadata: [
                "upstream.name": "\(upstream)", "upstream.status": "\(reply.statusLabel)", "item.count": "\(call.units.count)",
                "retry.attempts": "\(reply.attempts)", "upstream.in_doubt": "\(reply.inDoubt)",
            ])
    }

    /// One upstream's calls for one request: chunks in order, follow-ups first once they exist,
    /// at most `concurrency` in flight.
    private struct Window {
        let work: UpstreamWork
        let send: UpstreamCall
        var nextChunk = 0
        var followUps: [UnitCall] = []
        var pending: [UnitCall] = []
        var inFlight = 0

        init(work: UpstreamWork, send: @escaping UpstreamCall) {
            self.work = work
            self.send = send
        }

        /// The next call to start, counted in flight; nil when the window is full or empty.
        mutating func next(reason: String) -> UnitCall? {
            guard inFlight < max(1, work.upstream.concurrency) else { return nil }
            if !followUps.isEmpty {
                inFlight += 1
                return followUps.removeFirst()
            }
            if pending.isEmpty, nextChunk < work.chunks.count {
                // Reversed so that popLast takes them in order.
                pending = work.adapter.cancelCalls(for: work.chunks[nextChunk], reason: reason).reversed()
                nextChunk += 1
            }
            guard let call = pending.popLast() else { return nil }
            inFlight += 1
            return call
        }
    }
}
