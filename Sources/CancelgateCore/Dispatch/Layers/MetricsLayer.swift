/// Counts and times every attempt that holds a slot (each retry is one more), so the duration is
/// the upstream's, not the queue's: inside the concurrency limit, outside auth (a C1 token
/// refresh belongs to the attempt that needed it).
struct MetricsLayer: UpstreamMiddleware {
    let upstream: String
    let metrics: GatewayMetrics
    let clock: UpstreamClock

    func wrap(_ next: @escaping UpstreamCall) -> UpstreamCall {
        { request, context in
            let started = clock.now
            let reply = await next(request, context)
            metrics.upstreamCall(upstream: upstream, status: reply.statusLabel, duration: started.duration(to: clock.now))
            return reply
        }
    }
}
