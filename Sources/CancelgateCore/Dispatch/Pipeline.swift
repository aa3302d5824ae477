internal import Foundation

/// Every upstream call passes the same layers, each one file in `Layers/`, composed here once.
/// Outermost first:
///
/// 1. `RequestIDLayer`: the caller's `X-Request-ID` on the call, once for all its attempts.
/// 2. `RetryLayer`: attempts and the waits between them. Outside every limit, so a backoff holds
///    neither a rate token nor a slot, and each attempt queues and counts like any other call.
/// 3. `RateLimitLayer`: one token per attempt, and a 429's pause for the whole upstream. Outside
///    the concurrency limit, so a call waiting for a token holds no slot.
/// 4. `ConcurrencyLimitLayer`: at most `concurrency` attempts in flight per upstream. Its wait is
///    bounded by the request's deadline, not by `timeout_ms`, which starts only at the send.
/// 5. `MetricsLayer`: counts and times attempts that hold a slot: the upstream's time, not the queue's.
/// 6. `AuthLayer`: credentials; for C1 the token (its 401 refresh is part of the same attempt).
/// 7. `TransportLayer`: the transfer, `timeout_ms` from now, in-doubt marking.
enum Pipeline {
    struct Settings: Sendable {
        var clock: UpstreamClock = .continuous
        var metrics: GatewayMetrics = .disabled
        var unitRandom: @Sendable () -> Double = { Double.random(in: 0...1) }
        var wallClock: @Sendable () -> Date = { Date() }
    }

    /// What a pipeline's calls are for: cancels, or status reads (safe to repeat).
    enum Kind: Sendable {
        case cancel
        case read
    }

    /// - Parameter kind: reads retry the adapter's `statusTransientStatuses`, and any lost
    ///   answer; cancels retry `transientStatuses`, and a lost answer only when `read_in_doubt` is
    ///   off (otherwise the Dispatcher reads the status instead, CONTRACT §7). Both kinds share
    ///   the upstream's limits (`resources`).
    static func call(
        for upstream: UpstreamConfig, adapter: any ProviderAdapter, resources: UpstreamRegistry.Resources, transport: any HTTPTransport,
        settings: Settings, kind: Kind = .cancel
    ) -> UpstreamCall {
        let metrics = settings.metrics
        let name = upstream.name
        let layers: [any UpstreamMiddleware] = [
            RequestIDLayer(),
            RetryLayer(
                policy: RetryPolicy(upstream.retry, transientStatuses: kind == .read ? adapter.statusTransientStatuses : adapter.transientStatuses),
                upstream: name, clock: settings.clock, unitRandom: settings.unitRandom, wallClock: settings.wallClock,
                onRetry: { metrics.upstreamRetry(upstream: name) }, resendInDoubt: kind == .read || !upstream.readInDoubt),
            RateLimitLayer(
                gate: resources.gate, clock: settings.clock, wallClock: settings.wallClock,
                onWait: { metrics.rateLimitWait(upstream: name, duration: $0) }),
            ConcurrencyLimitLayer(slots: resources.slots),
            MetricsLayer(upstream: name, metrics: metrics, clock: settings.clock),
            AuthLayer(credentials: resources.credentials),
        ]
        let transport = TransportLayer.call(upstream: upstream, transport: transport, clock: settings.clock)
        return layers.reversed().reduce(transport) { next, layer in layer.wrap(next) }
    }
}
