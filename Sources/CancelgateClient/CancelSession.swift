public import CancelgateWire
internal import Foundation

/// How far a run has come, reported after each answered chunk.
public struct CancelProgress: Sendable, Equatable {
    public var requestsDone: Int
    public var requests: Int
    public var itemsDone: Int
    public var items: Int
    /// The next request's key is still in use on the gateway (409): the run waits for it.
    public var waitingForEarlierRequest: Bool

    public init(requestsDone: Int, requests: Int, itemsDone: Int, items: Int, waitingForEarlierRequest: Bool = false) {
        self.requestsDone = requestsDone
        self.requests = requests
        self.itemsDone = itemsDone
        self.items = items
        self.waitingForEarlierRequest = waitingForEarlierRequest
    }
}

/// The whole `cancelgate cancel` run: sizes chunks from the gateway's `max_items`, sends them one
/// after the other, and merges the answers into one ``MergedReport``.
///
/// Chunks go one at a time: the gateway already spreads one request's items over its upstreams,
/// and a failure then leaves a clean boundary (everything before it done, everything after it not
/// sent). A failed request stops the run: its items and every later chunk's are `not_sent` in the
/// report and ``MergedReport/error`` says why. Running the same command again resends every chunk
/// with the same Idempotency-Key: the ones already answered are replayed by the gateway, not
/// cancelled twice.
public struct CancelSession: Sendable {
    public let client: GatewayClient
    public let parameters: CancelParameters
    /// At most this many IDs per request even when the gateway allows more.
    public let chunkSize: Int?

    public init(client: GatewayClient, parameters: CancelParameters, chunkSize: Int? = nil) {
        self.client = client
        self.parameters = parameters
        self.chunkSize = chunkSize
    }

    /// The chunks this session would send for `ids` (asks the gateway for `max_items`).
    public func chunks(for ids: [String]) async throws(CancelCommandError) -> [Chunk] {
        let maxItems = try await client.maxItems()
        return Chunk.split(ids, size: min(maxItems, chunkSize ?? maxItems), parameters: parameters)
    }

    /// Sends every chunk. Throws only when nothing was answered (the first request failed, or
    /// `/v1/upstreams` did); later failures are in the report's `error`. A cancelled task throws
    /// ``CancelCommandError/Kind/cancelled``.
    public func run(
        _ ids: [String], progress: (CancelProgress) -> Void = { _ in }
    ) async throws(CancelCommandError) -> MergedReport {
        let chunks = try await chunks(for: ids)
        var answers: [GatewayClient.Answer] = []
        var state = CancelProgress(requestsDone: 0, requests: chunks.count, itemsDone: 0, items: ids.count)
        progress(state)
        for chunk in chunks {
            do {
                answers.append(
                    try await client.cancel(chunk, parameters: parameters) { _ in
                        var waiting = state
                        waiting.waitingForEarlierRequest = true
                        progress(waiting)
                    })
            } catch {
                guard error.kind != .cancelled, !answers.isEmpty else { throw error }
                return Self.merge(answers, chunks: chunks, parameters: parameters, failure: error)
            }
            state.requestsDone += 1
            state.itemsDone += chunk.ids.count
            progress(state)
        }
        return Self.merge(answers, chunks: chunks, parameters: parameters, failure: nil)
    }

    /// `answers[i]` is `chunks[i]`'s; chunks past the answers are not sent, and `failure` says why.
    static func merge(
        _ answers: [GatewayClient.Answer], chunks: [Chunk], parameters: CancelParameters, failure: CancelCommandError?
    ) -> MergedReport {
        var results: [ItemResult] = []
        var plan: [PlannedCall] = []
        for (answer, chunk) in zip(answers, chunks) {
            results += answer.report.results.map { result in
                var result = result
                result.index += chunk.offset
                return result
            }
            plan += answer.report.plan ?? []
        }
        var error: MergedReport.Failure?
        if let failure, answers.count < chunks.count {
            let failed = chunks[answers.count]
            let unsent = chunks[answers.count...].flatMap { chunk in chunk.ids.enumerated().map { (chunk.offset + $0, $1) } }
            let note = "not sent: request \(failed.index + 1) of \(chunks.count) failed (\(failure.kind.rawValue))"
            results += unsent.map { index, id in
                ItemResult(
                    index: index, id: id, outcome: .notSent, retryable: true, attempts: 0, error: ItemError(.notSent, note))
            }
            error = .init(kind: failure.kind.rawValue, message: failure.message, request: failed.index, requests: chunks.count, notSent: unsent.count)
        }
        return MergedReport(
            requestIDs: answers.map(\.report.requestID), replayedRequests: answers.count(where: \.replayed), dryRun: parameters.dryRun,
            summary: Summary(results), results: results, plan: parameters.dryRun ? plan : nil, error: error)
    }
}

extension MergedReport {
    /// 0 when every item ended `cancelled`, `cancel_requested` or `already_terminal` (in a dry
    /// run: `planned`); 1 when some did not; 2 when a request failed, so some items were not sent.
    public var exitCode: Int32 {
        if error != nil { return 2 }
        let fine: Set<Outcome> =
            dryRun ? [.planned] : [.cancelled, .cancelRequested, .alreadyTerminal]
        return results.allSatisfy { fine.contains($0.outcome) } ? 0 : 1
    }
}
