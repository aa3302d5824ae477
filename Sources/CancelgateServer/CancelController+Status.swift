internal import CancelgateWire
internal import CancelgateCore
internal import Foundation
internal import Hummingbird
internal import HTTPTypes
internal import Logging

/// `POST /v1/status` (CONTRACT §7): the envelope of `/v1/cancel` without `reason`, the same limits,
/// routing and caller scoping; one status read per unique run, no cancel ever sent, no record.
extension CancelController {
    @Sendable func status(_ request: Request, context: GatewayContext) async throws -> Response {
        let started = ContinuousClock.now
        let runtime = context.runtime ?? live.current
        let server = runtime.config.server
        let body = try await Self.body(of: request, server: server, kind: .status)
        let requestID = try Self.requestID(request)
        var logger = context.logger
        logger[metadataKey: "request.id"] = "\(requestID)"
        let query = CancelRequest(
            requestID: requestID, reason: server.defaultReason, defaultUpstream: body.upstream, entries: body.entries,
            allowedUpstreams: context.allowedUpstreams)
        let report = await runtime.service.status(query, logger: logger)
        logger.info(
            "status request finished",
            metadata: [
                "caller": "\(context.caller ?? "-")", "item.count": "\(report.summary.total)",
                "states": "\(report.summary.states.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))",
                "duration_ms": "\((ContinuousClock.now - started).milliseconds)",
            ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[.requestID] = requestID
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(report))))
    }
}
