internal import CurlClient

/// `upstreams.NAME.concurrency`: at most that many attempts in flight to one upstream, across
/// every request this configuration serves (the Dispatcher's own per-request limit alone would
/// let two concurrent requests double it). Between `RetryLayer` (so a wait before a retry holds no
/// slot) and `MetricsLayer` (so the measured duration is the upstream's, not the queue's).
public enum ConcurrencyLimitLayer {
    /// `CurlError.call` of a call cancelled while it waited for a slot (never sent).
    public static let queueCall = "queue"

    public static func wrap(_ next: @escaping UpstreamSend, limit: Int) -> UpstreamSend {
        let slots = AsyncSemaphore(permits: max(1, limit))
        return { request, timeout in
            let queued = ContinuousClock.now
            guard await slots.acquire() else {
                return .failure(CurlError(kind: .cancelled, call: queueCall, requestSent: false, message: "cancelled while waiting for a free slot"))
            }
            defer { slots.release() }
            // The attempt's budget was counted from before the wait.
            let left = timeout - (ContinuousClock.now - queued)
            guard left >= RetryPolicy.minimumAttempt else {
                return .failure(
                    CurlError(kind: .timeout, call: RetryPolicy.deadlineCall, requestSent: false, message: "no free slot before the deadline"))
            }
            return await next(request, left)
        }
    }
}
