public import Logging

/// Runs a plan's upstream calls: every upstream concurrently, at most `concurrency` calls at once
/// per upstream, the whole request bounded by its deadline. Whatever is unresolved when the
/// deadline fires is `failed`, `retryable`, so every unit always has an answer.
public struct Dispatcher: Sendable {
    /// Per upstream name: the send function with its credentials (built once, shared by requests).
    public let sends: [String: UpstreamSend]

    public init(sends: [String: UpstreamSend]) {
        self.sends = sends
    }

    public init(config: RoutesConfig, transport: any HTTPTransport) {
        self.sends = Dictionary(uniqueKeysWithValues: config.upstreams.map { ($0.name, UpstreamAuthLayer.send(for: $0, transport: transport)) })
    }

    private enum Event: Sendable {
        case resolved(upstream: String, [String: Resolution])
        case deadline
    }

    public func run(_ plan: Plan, request: CancelRequest, deadline: ContinuousClock.Instant, logger: Logger) async -> [UnitKey: Resolution] {
        var results: [UnitKey: Resolution] = [:]
        guard !plan.work.isEmpty else { return results }
        await withTaskGroup(of: Event.self) { group in
            for work in plan.work {
                guard let send = sends[work.upstream.name] else { continue }
                let caller = UpstreamCaller(
                    upstream: work.upstream, reason: request.reason, requestID: request.requestID, deadline: deadline, logger: logger, send: send)
                group.addTask { .resolved(upstream: work.upstream.name, await Self.runUpstream(work, caller: caller)) }
            }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return .deadline
            }
            var remaining = plan.work.count
            for await event in group {
                switch event {
                case .resolved(let upstream, let resolutions):
                    let adapter = plan.work.first { $0.upstream.name == upstream }.map { Adapters.adapter(for: $0.upstream) }
                    for (id, resolution) in resolutions {
                        results[UnitKey(upstream: upstream, canonicalID: adapter?.canonicalKey(id) ?? id)] = resolution
                    }
                    remaining -= 1
                    if remaining == 0 { group.cancelAll() }
                case .deadline:
                    // Unfinished calls are cancelled; their units are filled in below.
                    group.cancelAll()
                }
            }
        }
        for work in plan.work {
            let adapter = Adapters.adapter(for: work.upstream)
            for id in work.chunks.joined() {
                let key = UnitKey(upstream: work.upstream.name, canonicalID: adapter.canonicalKey(id))
                if results[key] == nil {
                    results[key] = .failure(
                        .deadlineExceeded, "The request's deadline passed before \(work.upstream.name) answered; the run may or may not be cancelled.",
                        retryable: true)
                }
            }
        }
        return results
    }

    /// One upstream's chunks, `concurrency` at a time.
    static func runUpstream(_ work: UpstreamWork, caller: UpstreamCaller) async -> [String: Resolution] {
        let adapter = Adapters.adapter(for: work.upstream)
        var resolutions: [String: Resolution] = [:]
        await withTaskGroup(of: [String: Resolution].self) { group in
            var pending = work.chunks[...]
            for _ in 0..<min(max(1, work.upstream.concurrency), pending.count) {
                let chunk = pending.removeFirst()
                group.addTask { await adapter.cancel(chunk: chunk, using: caller) }
            }
            for await chunkResult in group {
                resolutions.merge(chunkResult) { first, _ in first }
                if Task.isCancelled { continue }
                if let chunk = pending.popFirst() {
                    group.addTask { await adapter.cancel(chunk: chunk, using: caller) }
                }
            }
        }
        return resolutions
    }
}
