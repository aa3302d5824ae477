internal import CancelgateWire
internal import Foundation
internal import Logging

extension Dispatcher {
    /// One status read per unit (`POST /v1/status`, confirmation), every upstream at once, each
    /// through its read pipeline with at most `concurrency` of this call's reads in flight. A read
    /// without an answer by `deadline` is `unknown`, `deadline_exceeded`, retryable: every unit
    /// has a status.
    func readStatuses(_ targets: [(upstream: String, units: [PlannedUnit])], deadline: ContinuousClock.Instant, context: CallContext) async
        -> [UnitKey: RunStatus]
    {
        var results: [UnitKey: RunStatus] = [:]
        var queues = targets.compactMap { target in upstreams[target.upstream].map { ReadQueue(upstream: $0, pending: target.units[...]) } }
        var context = context
        context.deadline = deadline
        await withTaskGroup(of: ReadEvent.self) { group in
            for index in queues.indices {
                while let unit = queues[index].next() {
                    let read = queues[index].upstream.read
                    let request = queues[index].upstream.adapter.statusRequest(for: unit.id)
                    group.addTask { [context] in .read(queue: index, unit, await read(request, context)) }
                }
            }
            guard queues.contains(where: { $0.inFlight > 0 }) else { return }
            group.addTask { [clock] in
                try? await clock.sleep(until: deadline)
                return .deadline
            }
            var expired = false
            for await event in group {
                switch event {
                case .read(let index, let unit, let reply):
                    queues[index].inFlight -= 1
                    let upstream = queues[index].upstream
                    let status = upstream.adapter.interpretStatus(reply, id: unit.id, upstream: upstream.config.name)
                    metrics.statusRead(upstream: upstream.config.name, state: status.state.rawValue)
                    results[unit.key] = status
                    guard !expired else { continue }
                    while let next = queues[index].next() {
                        let read = upstream.read
                        let request = upstream.adapter.statusRequest(for: next.id)
                        group.addTask { [context] in .read(queue: index, next, await read(request, context)) }
                    }
                    if !queues.contains(where: { $0.inFlight > 0 }) { group.cancelAll() }
                case .deadline:
                    expired = true
                    group.cancelAll()
                }
            }
        }
        for target in targets {
            for unit in target.units where results[unit.key] == nil {
                results[unit.key] = RunStatus(
                    state: .unknown, retryable: true,
                    error: ItemError(.deadlineExceeded, "The deadline passed before the status of this run could be read; nothing was read."),
                    attempts: 0)
            }
        }
        return results
    }

    private enum ReadEvent: Sendable {
        case read(queue: Int, PlannedUnit, UpstreamReply)
        case deadline
    }

    /// One upstream's reads for one call: in order, at most `concurrency` in flight.
    private struct ReadQueue {
        let upstream: Upstream
        var pending: ArraySlice<PlannedUnit>
        var inFlight = 0

        mutating func next() -> PlannedUnit? {
            guard inFlight < max(1, upstream.config.concurrency), let unit = pending.popFirst() else { return nil }
            inFlight += 1
            return unit
        }
    }
}
