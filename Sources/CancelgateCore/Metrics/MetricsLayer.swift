/// Counts and times every HTTP attempt to an upstream (each retry is one more), between
/// `RetryLayer` above and `UpstreamAuthLayer` below.
public enum MetricsLayer {
    public static func wrap(_ next: @escaping UpstreamSend, upstream: String, metrics: GatewayMetrics) -> UpstreamSend {
        { request, timeout in
            let started = ContinuousClock.now
            let result = await next(request, timeout)
            metrics.upstreamCall(upstream: upstream, status: result.statusLabel, duration: ContinuousClock.now - started)
            return result
        }
    }
}
