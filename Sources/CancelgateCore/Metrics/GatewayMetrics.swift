public import CancelgateWire
public import CoreMetrics

/// What cancelgate counts, through the swift-metrics API into the factory it is given (the
/// server passes a Prometheus one; tests and tools that do not care pass none and count nothing).
/// Names follow Prometheus conventions; `help` is shown as `# HELP` on `/metrics`.
public struct GatewayMetrics: Sendable {
    public enum Name {
        public static let httpRequests = "cancelgate_http_requests_total"
        public static let requestsInFlight = "cancelgate_http_requests_in_flight"
        public static let items = "cancelgate_items_total"
        public static let upstreamCalls = "cancelgate_upstream_calls_total"
        public static let upstreamCallDuration = "cancelgate_upstream_call_duration_seconds"
        public static let upstreamRetries = "cancelgate_upstream_retries_total"
        public static let tokenFetches = "cancelgate_c1_token_fetches_total"
        public static let configReloads = "cancelgate_config_reloads_total"
        public static let rateLimitWait = "cancelgate_rate_limit_wait_seconds"
        public static let storeErrors = "cancelgate_store_errors_total"
        public static let storePendingWrites = "cancelgate_store_pending_writes"
        public static let recordsInterrupted = "cancelgate_records_interrupted_total"
        public static let statusReads = "cancelgate_status_reads_total"
        public static let confirmations = "cancelgate_confirmations_total"
        public static let jobs = "cancelgate_jobs"
        public static let jobItems = "cancelgate_job_items_done_total"
        public static let jobTakeovers = "cancelgate_job_lease_takeovers_total"
        public static let jobStoreDuration = "cancelgate_job_store_duration_seconds"
    }

    public static let help: [String: String] = [
        Name.httpRequests: "HTTP requests answered by cancelgate, by route template, method and status.",
        Name.requestsInFlight: "HTTP requests being handled right now.",
        Name.items: "Items of POST /v1/cancel reports, by upstream (none when unroutable) and outcome.",
        Name.upstreamCalls: "HTTP attempts made to upstreams, by upstream and HTTP status (or the transport failure).",
        Name.upstreamCallDuration: "Duration of each HTTP attempt to an upstream.",
        Name.upstreamRetries: "Upstream attempts repeated by the retry policy.",
        Name.tokenFetches: "C1 OAuth token fetches (first fetch and refreshes), by result.",
        Name.configReloads: "routes.json reloads (SIGHUP or POST /admin/reload), by result.",
        Name.rateLimitWait: "Time upstream attempts waited for their upstream's rate limit (rate_limit or a 429's Retry-After).",
        Name.storeErrors: "Store operations that failed or timed out, by operation (writes are retried in the background).",
        Name.storePendingWrites: "Record writes waiting to be retried because the store refused or did not answer them.",
        Name.recordsInterrupted: "Running records marked interrupted because the process running them died.",
        Name.statusReads: "Status reads of runs (POST /v1/status, confirmation, in-doubt items), by upstream and state.",
        Name.confirmations: "Confirmed cancellations, by upstream and result (cancelled, already_terminal, unconfirmed).",
        Name.jobs: "Jobs in the store that are queued or running, by state (as this replica last counted them).",
        Name.jobItems: "Job items given their final result by this replica's runner, by upstream.",
        Name.jobTakeovers: "Jobs this replica claimed that a runner had claimed before (its lease expired, or it handed the job back).",
        Name.jobStoreDuration: "Duration of the job runner's store calls for each chunk, by operation (renew, read, mark, commit).",
    ]

    /// Upper bounds of the upstream duration histogram, seconds.
    public static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30),
    ]

    private let factory: (any MetricsFactory)?
    /// Made once: every request moves it twice.
    private let inFlight: (any MeterHandler)?

    public init(factory: (any MetricsFactory)?) {
        self.factory = factory
        self.inFlight = factory?.makeMeter(label: Name.requestsInFlight, dimensions: [])
    }

    /// Counts nothing.
    public static let disabled = GatewayMetrics(factory: nil)

    public func httpRequest(route: String, method: String, status: Int) {
        increment(Name.httpRequests, [("route", route), ("method", method), ("status", String(status))])
    }

    public func requestStarted() {
        inFlight?.increment(by: 1)
    }

    public func requestEnded() {
        inFlight?.decrement(by: 1)
    }

    /// One increment per (upstream, outcome) present in a report.
    public func items(_ report: CancelReport) {
        guard factory != nil else { return }
        var counts: [Pair: Int] = [:]
        for result in report.results {
            // An unroutable item may name an unknown upstream: never a label (unbounded values).
            let upstream = result.outcome == .unroutable ? "none" : (result.upstream ?? "none")
            counts[Pair(upstream: upstream, outcome: result.outcome.rawValue), default: 0] += 1
        }
        for (pair, count) in counts {
            increment(Name.items, [("upstream", pair.upstream), ("outcome", pair.outcome)], by: count)
        }
    }

    public func upstreamCall(upstream: String, status: String, duration: Duration) {
        increment(Name.upstreamCalls, [("upstream", upstream), ("status", status)])
        time(Name.upstreamCallDuration, [("upstream", upstream)], duration)
    }

    public func rateLimitWait(upstream: String, duration: Duration) {
        time(Name.rateLimitWait, [("upstream", upstream)], duration)
    }

    public func upstreamRetry(upstream: String) {
        increment(Name.upstreamRetries, [("upstream", upstream)])
    }

    public func tokenFetch(upstream: String, succeeded: Bool) {
        increment(Name.tokenFetches, [("upstream", upstream), ("result", succeeded ? "ok" : "error")])
    }

    public func configReload(succeeded: Bool) {
        increment(Name.configReloads, [("result", succeeded ? "ok" : "refused")])
    }

    public func storeError(operation: String) {
        increment(Name.storeErrors, [("operation", operation)])
    }

    public func storePendingWrites(_ count: Int) {
        factory?.makeRecorder(label: Name.storePendingWrites, dimensions: [], aggregate: false).record(Int64(count))
    }

    public func recordsInterrupted(_ count: Int) {
        increment(Name.recordsInterrupted, [], by: count)
    }

    public func statusRead(upstream: String, state: String) {
        increment(Name.statusReads, [("upstream", upstream), ("state", state)])
    }

    public func confirmation(upstream: String, result: String) {
        increment(Name.confirmations, [("upstream", upstream), ("result", result)])
    }

    public func jobs(_ counts: [(state: String, count: Int)]) {
        guard let factory else { return }
        for (state, count) in counts { factory.makeRecorder(label: Name.jobs, dimensions: [("state", state)], aggregate: false).record(Int64(count)) }
    }

    public func jobItemsDone(upstream: String, count: Int) {
        increment(Name.jobItems, [("upstream", upstream)], by: count)
    }

    public func jobStoreCall(operation: String, duration: Duration) {
        time(Name.jobStoreDuration, [("operation", operation)], duration)
    }

    public func jobTakenOver() {
        increment(Name.jobTakeovers, [])
    }

    private struct Pair: Hashable {
        let upstream: String
        let outcome: String
    }

    /// The factory's handler directly, not through a swift-metrics `Counter` (an object made
    /// and dropped each time: a few allocations per request).
    private func increment(_ label: String, _ dimensions: [(String, String)], by amount: Int = 1) {
        factory?.makeCounter(label: label, dimensions: dimensions).increment(by: Int64(amount))
    }

    private func time(_ label: String, _ dimensions: [(String, String)], _ duration: Duration) {
        factory?.makeTimer(label: label, dimensions: dimensions).recordNanoseconds(duration.nanoseconds)
    }
}
