internal import CancelgateCore
internal import CancelgateWire
internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import Logging

/// `/v1/jobs` (CONTRACT §6): submit a long list once, follow it, page its results, stop it. The
/// work is `JobRunnerService`'s; this controller only reads and writes the store. Callers see
/// their own jobs (an admin, or anyone without `clients`, all); another caller's job is a 404.
struct JobsController: Sendable {
    static let resultParameters: Set<String> = ["outcome", "limit", "cursor"]
    static let listParameters: Set<String> = ["state", "limit", "cursor"]
    static let resultLimits = 1...10_000
    static let defaultResultLimit = 1000

    let live: LiveConfiguration
    /// Nil when the store keeps no jobs (`memory`): every route answers 503 saying so.
    let store: (any JobStore)?

    func addRoutes(to group: RouterGroup<GatewayContext>) {
        group.post("jobs", use: submit)
        group.get("jobs", use: list)
        group.get("jobs/{job_id}", use: show)
        group.get("jobs/{job_id}/results", use: results)
        group.post("jobs/{job_id}/cancel", use: cancel)
    }

    @Sendable func submit(_ request: Request, context: GatewayContext) async throws -> Response {
        let runtime = context.runtime ?? live.current
        let server = runtime.config.server
        if try CancelController.flag(request, "dry_run") == true {
            throw Problem.invalid([
                .init(pointer: "/query/dry_run", message: "a job cannot be a dry run; dry-run the list with POST /v1/cancel?dry_run=true")
            ])
        }
        let store = try jobStore()
        guard CancelController.isJSON(request.headers[.contentType]) else { throw Problem.unsupportedMediaType }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: server.maxJobBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw Problem.tooLarge(limit: server.maxJobBodyBytes)
        }
        let body = try CancelBody.parse(Data(buffer.readableBytesView), maxItems: server.maxJobItems, kind: .job)
        let requestID = try CancelController.requestID(request)
        let cancel = CancelRequest(
            requestID: requestID, reason: body.reason ?? server.defaultReason, defaultUpstream: body.upstream, entries: body.entries,
            allowedUpstreams: context.allowedUpstreams)
        let entries = runtime.service.jobEntries(cancel)
        let job = Job(
            jobID: UUID().uuidString.lowercased(), state: .queued, caller: context.caller, reason: cancel.reason, ratePerSecond: body.ratePerSecond,
            createdAtMs: RecordTime.nowMs(), total: entries.count)
        let key = request.headers[.idempotencyKey].map { key in
            JobKey(
                scope: "jobs:\(context.caller ?? "")", key: key,
                fingerprint: IdempotencyFingerprint.of(cancel) + (body.ratePerSecond.map { ";rate=\($0)" } ?? ""))
        }
        let created = try await read(context) {
            try await store.createJob(job, entries: entries, requestID: requestID, allowedUpstreams: context.allowedUpstreams, key: key)
        }
        switch created {
        case .created(let job):
            context.logger.info(
                "job accepted", metadata: ["job.id": "\(job.jobID)", "job.total": "\(job.total)", "caller": "\(context.caller ?? "-")"])
            return try Self.accepted(job, replayed: false)
        case .replay(let earlier):
            return try Self.accepted(earlier, replayed: true)
        case .mismatch:
            throw Problem.invalid([
                .init(pointer: "", message: "header Idempotency-Key was already used with another job body; use a new key for a different job")
            ])
        }
    }

    @Sendable func show(_ request: Request, context: GatewayContext) async throws -> Response {
        try RecordsController.json(try await visibleJob(context))
    }

    @Sendable func results(_ request: Request, context: GatewayContext) async throws -> Response {
        let job = try await visibleJob(context)
        let store = try jobStore()
        var errors: [Problem.FieldError] = []
        let parameters = Self.parameters(request.uri.queryParameters, allowed: Self.resultParameters, errors: &errors)
        var outcome: Outcome?
        if let text = parameters["outcome"] {
            outcome = Outcome.allCases.first { $0.rawValue == text }
            if outcome == nil {
                errors.append(.init(pointer: "/query/outcome", message: "unknown outcome; one of: \(Outcome.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        let limit = Self.limit(parameters["limit"], in: Self.resultLimits, default: Self.defaultResultLimit, errors: &errors)
        var after = -1
        if let cursor = parameters["cursor"] {
            if let index = Self.resultIndex(cursor) { after = index } else {
                errors.append(.init(pointer: "/query/cursor", message: "is not a cursor this gateway gave; use next_cursor as it came"))
            }
        }
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        let (only, start) = (outcome, after)
        let page = try await read(context) { try await store.jobResults(jobID: job.jobID, outcome: only, afterIndex: start, limit: limit + 1) }
        let shown = Array(page.prefix(limit))
        let next = page.count > limit ? shown.last.map { "r1.\($0.index)" } : nil
        return try RecordsController.json(RecordsController.ListPage(key: "results", items: shown, nextCursor: next))
    }

    @Sendable func list(_ request: Request, context: GatewayContext) async throws -> Response {
        let store = try jobStore()
        var errors: [Problem.FieldError] = []
        let parameters = Self.parameters(request.uri.queryParameters, allowed: Self.listParameters, errors: &errors)
        var query = JobQuery(visibility: RecordsController.visibility(context))
        if let text = parameters["state"] {
            if let state = JobState.all.first(where: { $0.rawValue == text }) { query.state = state } else {
                errors.append(.init(pointer: "/query/state", message: "unknown state; one of: \(JobState.all.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        query.limit = Self.limit(parameters["limit"], in: JobQuery.limits, default: JobQuery.defaultLimit, errors: &errors)
        if let text = parameters["cursor"] {
            if let cursor = RecordCursor(token: text) { query.after = cursor } else {
                errors.append(.init(pointer: "/query/cursor", message: "is not a cursor this gateway gave; use next_cursor as it came"))
            }
        }
        guard errors.isEmpty else { throw Problem.invalid(errors) }
        let checked = query
        let page = try await read(context) { try await store.jobs(checked) }
        return try RecordsController.json(RecordsController.ListPage(key: "jobs", items: page.jobs, nextCursor: page.next?.token))
    }

    @Sendable func cancel(_ request: Request, context: GatewayContext) async throws -> Response {
        let store = try jobStore()
        let jobID = context.parameters.get("job_id") ?? ""
        let visibility = RecordsController.visibility(context)
        guard let job = try await read(context, { try await store.requestJobCancel(jobID, visibility: visibility) }) else { throw Self.unknownJob }
        context.logger.info("job cancel requested", metadata: ["job.id": "\(jobID)", "job.state": "\(job.state.rawValue)"])
        var response = try RecordsController.json(job)
        response.status = .accepted
        return response
    }

    // MARK: Helpers

    static let unknownJob = Problem(.notFound, type: "not-found", title: "Not found", detail: "No job with this ID is visible to you.")

    /// `r1.<index of the last result shown>`.
    static func resultIndex(_ cursor: String) -> Int? {
        guard cursor.hasPrefix("r1."), let index = Int(cursor.dropFirst(3)), index >= 0 else { return nil }
        return index
    }

    static func accepted(_ job: Job, replayed: Bool) throws -> Response {
        var response = try RecordsController.json(job)
        response.status = .accepted
        response.headers[.location] = "/v1/jobs/\(job.jobID)"
        if replayed { response.headers[.idempotentReplayed] = "true" }
        return response
    }

    private func jobStore() throws(Problem) -> any JobStore {
        guard let store else {
            throw Problem(
                .serviceUnavailable, type: "jobs-unavailable", title: "Jobs unavailable",
                detail: "This gateway's store (memory) keeps no jobs; configure the sqlite or postgres store to use /v1/jobs.")
        }
        return store
    }

    private func visibleJob(_ context: GatewayContext) async throws -> Job {
        let store = try jobStore()
        let jobID = context.parameters.get("job_id") ?? ""
        let visibility = RecordsController.visibility(context)
        guard let job = try await read(context, { try await store.job(jobID, visibility: visibility) }) else { throw Self.unknownJob }
        return job
    }

    /// Query parameters, each known and given once.
    static func parameters(_ given: Parameters, allowed: Set<String>, errors: inout [Problem.FieldError]) -> [String: String] {
        var seen: [String: String] = [:]
        for (name, value) in given {
            let name = String(name)
            if !allowed.contains(name) {
                errors.append(.init(pointer: "/query/\(name)", message: "unknown parameter; allowed: \(allowed.sorted().joined(separator: ", "))"))
            } else if seen[name] != nil {
                errors.append(.init(pointer: "/query/\(name)", message: "given more than once"))
            } else if value.isEmpty {
                errors.append(.init(pointer: "/query/\(name)", message: "must not be empty"))
            }
            seen[name] = String(value)
        }
        return seen.filter { !$0.value.isEmpty }
    }

    static func limit(_ text: String?, in range: ClosedRange<Int>, default value: Int, errors: inout [Problem.FieldError]) -> Int {
        guard let text else { return value }
        guard let limit = Int(text), range.contains(limit) else {
            errors.append(.init(pointer: "/query/limit", message: "must be an integer from \(range.lowerBound) to \(range.upperBound)"))
            return value
        }
        return limit
    }

    static let unavailable = "The store did not answer in time. Send again shortly: with the same Idempotency-Key a job is never created twice."

    private func read<T: Sendable>(_ context: GatewayContext, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await StoreAccess.bounded(context, metrics: live.metrics, operation: "jobs", detail: Self.unavailable, body)
    }
}

/// A store call from a handler (records, jobs): bounded in time, a 503 (with `Retry-After`,
/// `detail` saying what the caller may do) when the store fails; `operation` labels the error metric.
enum StoreAccess {
    static func bounded<T: Sendable>(
        _ context: GatewayContext, metrics: GatewayMetrics, timeout: Duration = .seconds(10), operation: String, detail: String,
        storeKind: String? = nil, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        do {
            return try await BoundedWait.run(timeout, body)
        } catch is CancellationError {
            throw CancellationError()
        } catch let problem as Problem {
            throw problem
        } catch {
            metrics.storeError(operation: operation)
            var metadata: Logger.Metadata = ["error": "\(StoreErrorText.describe(error))"]
            if let storeKind { metadata["store.type"] = "\(storeKind)" }
            context.logger.error("store read failed", metadata: metadata)
            var problem = Problem(.serviceUnavailable, type: "store-unavailable", title: "Store unavailable", detail: detail)
            problem.headers[.retryAfter] = "5"
            throw problem
        }
    }
}
