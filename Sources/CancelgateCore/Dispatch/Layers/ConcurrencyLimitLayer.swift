/// `upstreams.NAME.concurrency`: at most that many attempts in flight to one upstream, across
/// every request of the process (and across reloads: `UpstreamRegistry`). The wait for a slot is
/// bounded by the request's deadline only (a cancelled waiter leaves at once, without a slot);
/// the attempt's own `timeout_ms` starts later, when `TransportLayer` sends it.
struct ConcurrencyLimitLayer: UpstreamMiddleware {
    let slots: AsyncSemaphore

    func wrap(_ next: @escaping UpstreamCall) -> UpstreamCall {
        { request, context in
            guard await slots.acquire() else { return .notSent(.cancelled) }
            defer { slots.release() }
            return await next(request, context)
        }
    }
}
