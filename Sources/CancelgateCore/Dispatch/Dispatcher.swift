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
    /// One upstream's two pipelines (cancels and status reads share its limits) and its adapter.
    /// A class: a request's windows and calls pass it around, and a copy of the struct it was
    /// retained every field of the configuration (1.5 % of a single-ID cancel's instructions
    /// with the two other structs made classes with it).
    final class Upstream: Sendable {
        let config: UpstreamConfig
        let adapter: any ProviderAdapter
        let cancel: UpstreamCall
        let read: UpstreamCall

        init(config: UpstreamConfig, adapter: any ProviderAdapter, cancel: @escaping UpstreamCall, read: @escaping UpstreamCall) {
            self.config = config
            self.adapter = adapter
            self.cancel = cancel
            self.read = read
        }
    }

    /// Per upstream name (shared state lives in the registry's resources).
    let upstreams: [String: Upstream]
    let clock: UpstreamClock
    let metrics: GatewayMetrics

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
        self.metrics = metrics
        self.upstreams = Dictionary(
            uniqueKeysWithValues: config.upstreams.map { upstream in
                let resources = registry.resources(for: upstream, transport: transport, clock: clock, metrics: metrics)
                let adapter = Adapters.adapter(for: upstream)
                let cancel = Pipeline.call(for: upstream, adapter: adapter, resources: resources, transport: transport, settings: settings)
                let read = Pipeline.call(for: upstream, adapter: adapter, resources: resources, transport: transport, settings: settings, kind: .read)
                return (upstream.name, Upstream(config: upstream, adapter: adapter, cancel: cancel, read: read))
            })
    }

    private enum Event: Sendable {
        case answered(window: Int, UnitCall, UpstreamReply)
        case deadline
    }

    func run(_ plan: Plan, request: CancelRequest, deadline: ContinuousClock.Instant, logger: Logger) async -> [UnitKey: Resolution] {
        var results: [UnitKey: Resolution] = [:]
        let sentBefore = Set(
            plan.entries.compactMap { entry -> UnitKey? in
                guard request.entries[entry.index].sentBefore, case .send(let key) = entry.disposition else { return nil }
                return key
            })
        var windows = plan.work.compactMap { work in
            upstreams[work.upstream.name].map { Window(work: work, upstream: $0, sentBefore: sentBefore, reason: request.reason) }
        }
        let context = CallContext(deadline: deadline, logger: logger, requestID: request.requestID, pacer: request.pacer?.gate)
        let startBy = request.sendWindow.map { min(deadline, clock.now + $0) } ?? deadline
        await withTaskGroup(of: Event.self) { group in
            for index in windows.indices {
                while let call = windows[index].next(reason: request.reason, chunks: true) {
                    let send = windows[index].send(for: call)
                    group.addTask { .answered(window: index, call, await send(call.request, context.sending(call))) }
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
                    // Kept even after the deadline: a follow-up never sent still carries its units' attempts.
                    let followUps =
                        call.purpose == .read
                        ? settleRead(answer, of: call, upstream: windows[index].upstream, reason: request.reason, expired: expired, into: &results)
                        : settleCancel(answer, of: call, upstream: windows[index].upstream, logger: logger, into: &results)
                    windows[index].followUps.append(contentsOf: followUps)
                    guard !expired else { continue }
                    let chunks = request.sendWindow == nil || clock.now < startBy
                    while let next = windows[index].next(reason: request.reason, chunks: chunks) {
                        let send = windows[index].send(for: next)
                        group.addTask { .answered(window: index, next, await send(next.request, context.sending(next))) }
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
                    // A read never made: the in-doubt cancel's own result stands.
                    results[unit.key] = call.fallback?.attempted(call.priorAttempts, inDoubt: true) ?? Resolution.failure(
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

    /// A cancel's (or an explanation's) answer: its units' resolutions, and the calls still to
    /// make. A unit that did not end well after an attempt in doubt (this call's or an earlier
    /// one's) is read before any further cancel (CONTRACT §7), unless the upstream has
    /// `read_in_doubt` off or this call sent nothing.
    private func settleCancel(
        _ answer: UpstreamReply, of call: UnitCall, upstream: Upstream, logger: Logger, into results: inout [UnitKey: Resolution]
    ) -> [UnitCall] {
        let name = upstream.config.name
        let reply = UpstreamReply(result: answer.result, attempts: call.priorAttempts + answer.attempts, inDoubt: call.priorInDoubt || answer.inDoubt)
        log(reply, of: call, upstream: name, logger: logger)
        let reading = upstream.adapter.interpret(reply, to: call, upstream: name)
        var followUps = reading.followUps
        for unit in call.units {
            guard let resolution = reading.resolutions[unit.id] else { continue }
            let settled = resolution.attempted(reply.attempts, inDoubt: reply.inDoubt)
            if upstream.config.readInDoubt, reply.inDoubt, answer.attempts > 0, Self.mayHaveActed(settled) {
                followUps.append(
                    UnitCall(
                        units: [unit], request: upstream.adapter.statusRequest(for: unit.id), purpose: .read, priorAttempts: reply.attempts,
                        priorInDoubt: true, fallback: resolution))
            } else {
                results[unit.key] = settled
            }
        }
        return followUps
    }

    /// A failure that does not rule out that the attempt in doubt cancelled the run.
    static func mayHaveActed(_ resolution: Resolution) -> Bool {
        guard resolution.outcome == .failed, let code = resolution.error?.code else { return false }
        return !InDoubt.definiteFailures.contains(code)
    }

    /// The status read that replaces a second cancel (CONTRACT §7): cancelled → `cancelled` (the
    /// attempt in doubt did it); ended otherwise → `already_terminal`; running → the doubt is gone
    /// and the cancel is sent again; unreadable → sent again as a retry would be, still in doubt.
    /// Once `retry.max_attempts` sends were made (or the deadline passed) the last cancel's own
    /// failure stands: `in_doubt` unless the read showed the run running.
    private func settleRead(
        _ answer: UpstreamReply, of call: UnitCall, upstream: Upstream, reason: String, expired: Bool, into results: inout [UnitKey: Resolution]
    ) -> [UnitCall] {
        guard let unit = call.units.first, let fallback = call.fallback else { return [] }
        let status = upstream.adapter.interpretStatus(answer, id: unit.id, upstream: upstream.config.name)
        metrics.statusRead(upstream: upstream.config.name, state: status.state.rawValue)
        let attempts = call.priorAttempts
        var settled: Resolution
        switch status.state {
        case .cancelled:
            settled = .success(.cancelled, status: status.httpStatus, cancelledAt: status.endedAt)
        case .ended:
            settled = .refused(
                .alreadyTerminal, .alreadyTerminal, "The run ended without this cancel; a status read after an unanswered attempt shows it.",
                status: status.httpStatus)
        case .notFound, .forbidden, .invalid:
            settled = Resolution(outcome: Outcome(rawValue: status.state.rawValue), httpStatus: status.httpStatus, error: status.error)
        default:
            let stillInDoubt = status.state != .running
            guard !expired, attempts < upstream.config.retry.maxAttempts else {
                results[unit.key] = stillInDoubt ? fallback.attempted(attempts, inDoubt: true) : Self.stillRunning(fallback, attempts, status)
                return []
            }
            return upstream.adapter.cancelCalls(for: call.units, reason: reason).map { resend in
                var resend = resend
                resend.priorAttempts = attempts
                resend.priorInDoubt = stillInDoubt
                resend.resent = true
                return resend
            }
        }
        settled.providerStatus = status.providerStatus
        results[unit.key] = settled.with(attempts: attempts)
        return []
    }

    /// No more cancels may be sent, and the read after the last one shows the run still
    /// running: whatever that cancel's lost answer would have said, it did not stop the run. A
    /// failure whose code says "may have cancelled" would then be untrue: it is
    /// `upstream_unavailable` (retryable), with the provider's word.
    static func stillRunning(_ fallback: Resolution, _ attempts: Int, _ status: RunStatus) -> Resolution {
        var settled = fallback.attempted(attempts)
        guard settled.outcome == .failed, let error = settled.error, InDoubt.saysInDoubt.contains(error.code) || error.code == .inDoubt else {
            return settled
        }
        settled.retryable = true
        settled.error = ItemError(.upstreamUnavailable, "\(error.message) A status read after it shows the run still running; it was not cancelled.")
        settled.providerStatus = status.providerStatus
        return settled
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
        let upstream: Upstream
        var nextChunk = 0
        var followUps: [UnitCall] = []
        var pending: [UnitCall] = []
        var inFlight = 0

        /// - Parameter sentBefore: units whose cancel may already have been sent, its answer lost
        ///   (CancelEntry.sentBefore). They leave the chunks and start as follow-ups: a status
        ///   read each (CONTRACT §7), or with `read_in_doubt` off their cancels sent again as
        ///   after any attempt in doubt. Either way the lost send counts as an attempt.
        init(work: UpstreamWork, upstream: Upstream, sentBefore: Set<UnitKey>, reason: String) {
            self.upstream = upstream
            var fresh = work
            if !sentBefore.isEmpty {
                fresh.chunks = []
                for chunk in work.chunks {
                    let lost = chunk.filter { sentBefore.contains($0.key) }
                    let rest = chunk.filter { !sentBefore.contains($0.key) }
                    if !rest.isEmpty { fresh.chunks.append(rest) }
                    guard !lost.isEmpty else { continue }
                    followUps += upstream.config.readInDoubt ? lost.map { Self.read(afterLostSend: $0, upstream) } : Self.cancels(afterLostSend: lost, upstream, reason: reason)
                }
            }
            self.work = fresh
        }

        static func read(afterLostSend unit: PlannedUnit, _ upstream: Upstream) -> UnitCall {
            UnitCall(
                units: [unit], request: upstream.adapter.statusRequest(for: unit.id), purpose: .read, priorAttempts: 1, priorInDoubt: true,
                fallback: Resolution.failure(.inDoubt, "A cancel sent before the job's runner stopped lost its answer.", retryable: true))
        }

        static func cancels(afterLostSend units: [PlannedUnit], _ upstream: Upstream, reason: String) -> [UnitCall] {
            upstream.adapter.cancelCalls(for: units, reason: reason).map { call in
                var call = call
                call.priorAttempts = 1
                call.priorInDoubt = true
                call.resent = true
                return call
            }
        }

        func send(for call: UnitCall) -> UpstreamCall {
            call.purpose == .read ? upstream.read : upstream.cancel
        }

        /// The next call to start, counted in flight; nil when the window is full or empty.
        /// - Parameter chunks: false once no call of the plan's chunks may start (`sendWindow`).
        mutating func next(reason: String, chunks: Bool) -> UnitCall? {
            guard inFlight < max(1, work.upstream.concurrency) else { return nil }
            if !followUps.isEmpty {
                inFlight += 1
                return followUps.removeFirst()
            }
            guard chunks else { return nil }
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
