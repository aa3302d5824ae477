/// Counts and times every attempt that holds a slot (each retry is one more), so the duration is
/// the upstream's, not the queue's: inside the concurrency limit, outside auth (a C1 token
/// refresh belongs to the attempt that needed it). An attempt never sent (no time left, no C1
/// token) is no HTTP attempt and is not counted.
struct MetricsLayer: UpstreamMiddleware {
    let upstream: String
    let metrics: GatewayMetrics
    let clock: UpstreamClock

    func wrap(_ next: @escaping UpstreamCall) -> UpstreamCall {
        { request, context in
            let started = clock.now
            let reply = await next(request, context)
            if reply.attempts > 0 {
                metrics.upstreamCall(upstream: upstream, status: reply.statusLabel, duration: started.duration(to: clock.now))
            }
            return reply
        }
    }
}
