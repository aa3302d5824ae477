public import Logging

/// Runs a plan's upstream calls: every upstream concurrently, at most `concurrency` calls at once
/// per upstream, the whole request bounded by its deadline. Whatever is unresolved when the
/// deadline fires is `failed`, `retryable`, so every unit always has an answer.
public struct Dispatcher: Sendable {
    /// Per upstream name: its whole-call function, credentials and retries included (built once,
    /// shared by requests).
    public let exchanges: [String: UpstreamExchange]

    public init(exchanges: [String: UpstreamExchange]) {
        self.exchanges = exchanges
    }

    /// The layers of every upstream call, outermost first: retry → concurrency limit → metrics →
    /// auth → transport. The limit is shared by every request this configuration serves.
    /// - Parameter unitRandom: the retry jitter's uniform draw in 0...1 (tests pass a constant).
    public init(
        config: RoutesConfig, transport: any HTTPTransport, metrics: GatewayMetrics = .disabled,
        unitRandom: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.exchanges = Dictionary(
            uniqueKeysWithValues: config.upstreams.map { upstream in
                let authenticated = UpstreamAuthLayer.send(for: upstream, transport: transport, metrics: metrics)
                let send = ConcurrencyLimitLayer.wrap(
                    MetricsLayer.wrap(authenticated, upstream: upstream.name, metrics: metrics), limit: upstream.concurrency)
                let transient = Adapters.adapter(for: upstream).transientStatuses
                return (
                    upstream.name,
                    RetryLayer.wrap(
                        send, upstream: upstream, transientStatuses: transient, unitRandom: unitRandom,
                        onRetry: { metrics.upstreamRetry(upstream: upstream.name) })
                )
            })
    }

    private enum Event: Sendable {
        case resolved(upstream: String, [String: Resolution])
        case deadline
    }

    public func run(_ plan: Plan, request: CancelRequest, deadline: ContinuousClock.Instant, logger: Logger) async -> [UnitKey: Resolution] {
        var results: [UnitKey: Resolution] = [:]
        guard !plan.work.isEmpty else { return results }
        await withTaskGroup(of: Event.self) { group in
            // Upstreams still running; the group ends early once it reaches zero.
            var remaining = 0
            for work in plan.work {
                guard let exchange = exchanges[work.upstream.name] else { continue }
                remaining += 1
                let caller = UpstreamCaller(
                    upstream: work.upstream, reason: request.reason, requestID: request.requestID, deadline: deadline, logger: logger,
                    exchange: exchange)
                group.addTask { .resolved(upstream: work.upstream.name, await Self.runUpstream(work, caller: caller)) }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return .deadline
            }
            for await event in group {
                switch event {
                case .resolved(let upstream, let resolutions):
                    let adapter = plan.work.first { $0.upstream.name == upstream }.map { Adapters.adapter(for: $0.upstream) }
                    for (id, resolution) in resolutions {
                        results[UnitKey(upstream: upstream, canonicalID: adapter?.canonicalKey(id) ?? id)] = resolution
                    }
                    remaining -= 1
                    if remaining == 0 { group.cancelAll() }
                case .deadline:
                    // Unfinished calls are cancelled; their units are filled in below.
                    group.cancelAll()
                }
            }
        }
        for work in plan.work {
            let adapter = Adapters.adapter(for: work.upstream)
            for id in work.chunks.joined() {
                let key = UnitKey(upstream: work.upstream.name, canonicalID: adapter.canonicalKey(id))
                if results[key] == nil {
                    results[key] = .failure(
                        .deadlineExceeded, "The request's deadline passed before \(work.upstream.name) answered; the run may or may not be cancelled.",
                        retryable: true)
                }
            }
        }
        return results
    }

    /// One upstream's chunks, `concurrency` at a time.
    static func runUpstream(_ work: UpstreamWork, caller: UpstreamCaller) async -> [String: Resolution] {
        let adapter = Adapters.adapter(for: work.upstream)
        var resolutions: [String: Resolution] = [:]
        await withTaskGroup(of: [String: Resolution].self) { group in
            var pending = work.chunks[...]
            for _ in 0..<min(max(1, work.upstream.concurrency), pending.count) {
                let chunk = pending.removeFirst()
                group.addTask { await adapter.cancel(chunk: chunk, using: caller) }
            }
            for await chunkResult in group {
                resolutions.merge(chunkResult) { first, _ in first }
                if Task.isCancelled { continue }
                if let chunk = pending.popFirst() {
                    group.addTask { await adapter.cancel(chunk: chunk, using: caller) }
                }
            }
        }
        return resolutions
    }
}
