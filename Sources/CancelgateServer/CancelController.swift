internal import CancelgateWire
internal import CancelgateCore
internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import Logging

/// `POST /v1/cancel`: read and check the envelope, hand the items to the `CancelService` (at most
/// once per `Idempotency-Key`, see `CancelController+Idempotency.swift`), answer with its report.
struct CancelController: Sendable {
    static let maxIdempotencyKeyLength = 255
    static let maxRequestIDLength = 200

    let live: LiveConfiguration
    let keeper: RecordKeeper

    func addRoutes(to group: RouterGroup<GatewayContext>) {
        group.post("cancel", use: cancel)
        group.post("status", use: status)
    }

    @Sendable func cancel(_ request: Request, context: GatewayContext) async throws -> Response {
        let started = ContinuousClock.now
        // The configuration this request started with, to its end, whatever a reload does.
        let runtime = context.runtime ?? live.current
        let service = runtime.service
        let metrics = live.metrics
        let server = runtime.config.server
        let body = try await Self.body(of: request, server: server, kind: .cancel)
        let requestID = try Self.requestID(request)
        let cancel = CancelRequest(
            requestID: requestID, reason: body.reason ?? server.defaultReason, defaultUpstream: body.upstream, entries: body.entries,
            dryRun: try Self.flag(request, "dry_run") ?? false, allowedUpstreams: context.allowedUpstreams,
            confirm: try Self.flag(request, "confirm") ?? body.confirm)
        var logger = context.logger
        logger[metadataKey: "request.id"] = "\(requestID)"
        let key = request.headers[.idempotencyKey]
        let receivedAt = RecordTime.nowMs()
        // The record, running from before the first upstream call until the answer (§5). Its
        // lease tells other replicas when a request still `running` has lost its process.
        let template = CancelRecord.running(
            cancel, provisional: CancelReport(requestID: requestID, dryRun: cancel.dryRun, summary: Summary([]), results: [], plan: nil),
            caller: context.caller, idempotencyKey: key, receivedAtMs: receivedAt,
            leaseUntilMs: receivedAt + Int64(server.requestTimeoutMs + runtime.config.store.leaseGraceMs))
        let keeper = keeper
        let requestLogger = logger
        let run: @Sendable () async -> CancelReport = {
            await service.cancel(cancel, logger: requestLogger) { provisional in
                var record = template
                record.summary = provisional.summary
                record.results = provisional.results
                await keeper.started(record)
            }
        }
        let report: CancelReport
        if let key {
            let use = IdempotencyKeyUse(caller: context.caller, key: key, fingerprint: IdempotencyFingerprint.of(cancel))
            switch try await once(use, record: template, logger: logger, run: run) {
            case .replayed(let stored): return try Self.response(stored, replayed: true)
            case .ran(let fresh): report = fresh
            }
        } else {
            report = await run()
            await keeper.finished(template.completed(with: report, atMs: RecordTime.nowMs()), completing: nil)
        }
        metrics.items(report)
        logger.info(
            "cancel request finished",
            metadata: [
                "caller": "\(context.caller ?? "-")", "item.count": "\(report.summary.total)",
                "outcomes": "\(report.summary.outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
                "dry_run": "\(cancel.dryRun)", "duration_ms": "\((ContinuousClock.now - started).milliseconds)",
            ])
        let response = try Self.response(report, replayed: false)
        if report.summary.total >= Self.trimAfterItems { Task.detached(priority: .background) { MemoryRelease.afterLargeRequest() } }
        return response
    }

    /// A request this long leaves megabytes in malloc's free lists: give them back (MemoryRelease).
    static let trimAfterItems = 1000

    /// The JSON body of `/v1/cancel` or `/v1/status`, read within `max_body_bytes` and checked.
    static func body(of request: Request, server: ServerConfig, kind: CancelBody.Kind) async throws -> CancelBody {
        guard isJSON(request.headers[.contentType]) else { throw Problem.unsupportedMediaType }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: server.maxBodyBytes)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // NIOTooManyBytesError, which Hummingbird would answer with an empty 413.
            throw Problem.tooLarge(limit: server.maxBodyBytes)
        }
        return try CancelBody.parse(Data(buffer.readableBytesView), maxItems: server.maxItems, kind: kind)
    }

    /// The 200 answer. `X-Request-ID` is the report's own: on a replay, the first request's.
    static func response(_ report: CancelReport, replayed: Bool) throws -> Response {
        // ReportJSON writes JSONEncoder's bytes ([.sortedKeys, .withoutEscapingSlashes]) in a
        // fraction of its time (ReportJSONTests compares them).
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.requestID] = report.requestID
        if replayed { headers[.idempotentReplayed] = "true" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: ReportJSON.encode(report))))
    }

    /// `application/json` or `application/…+json`, parameters ignored, any case (RFC 9110 §8.3.1).
    static func isJSON(_ contentType: String?) -> Bool {
        guard var contentType else { return false }
        return contentType.withUTF8 { bytes in
            var end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
            var start = 0
            let isBlank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            while start < end, isBlank(bytes[start]) { start += 1 }
            while end > start, isBlank(bytes[end - 1]) { end -= 1 }
            // ASCII lower case: the names compared are ASCII, so no other letter can match.
            let mediaType = bytes[start..<end].map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 | 0x20 : $0 }
            let application = Array("application/".utf8), suffix = Array("+json".utf8)
            return mediaType.elementsEqual("application/json".utf8)
                || (mediaType.count >= application.count + suffix.count && mediaType.starts(with: application)
                    && mediaType.suffix(suffix.count).elementsEqual(suffix))
        }
    }

    /// A boolean query parameter (`dry_run`, `confirm`): nil when absent; `?dry_run` alone is true.
    static func flag(_ request: Request, _ name: String) throws(Problem) -> Bool? {
        switch request.uri.queryParameters.get(name)?.lowercased() {
        case nil: return nil
        case "false", "0": return false
        case "true", "1", "": return true
        default: throw .invalid([.init(pointer: "/query/\(name)", message: "query parameter \(name) must be true or false")])
        }
    }

    /// The caller's `X-Request-ID`, or a new one. Also checks `Idempotency-Key`'s length, so
    /// that both header problems are reported together.
    static func requestID(_ request: Request) throws(Problem) -> String {
        var errors: [Problem.FieldError] = []
        if let key = request.headers[.idempotencyKey], key.count > maxIdempotencyKeyLength || key.isEmpty {
            errors.append(.init(pointer: "", message: "header Idempotency-Key must be 1 to \(maxIdempotencyKeyLength) characters"))
        }
        let given = request.headers[.requestID]
        if let given, !isValidRequestID(given) {
            errors.append(.init(pointer: "", message: "header X-Request-ID must be 1 to \(maxRequestIDLength) visible ASCII characters"))
        }
        guard errors.isEmpty else { throw .invalid(errors) }
        return given ?? LowercaseUUID.makeTimeOrdered(ms: RecordTime.nowMs())
    }

    /// 1 to `maxRequestIDLength` visible ASCII characters (CONTRACT §3's `X-Request-ID`).
    static func isValidRequestID(_ value: String) -> Bool {
        !value.isEmpty && value.count <= maxRequestIDLength && value.unicodeScalars.allSatisfy { $0.value >= 0x21 && $0.value < 0x7F }
    }
}

extension HTTPField.Name {
    static let requestID = Self("X-Request-ID")!
    static let idempotencyKey = Self("Idempotency-Key")!
    static let idempotentReplayed = Self("Idempotent-Replayed")!
}
