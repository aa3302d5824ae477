#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Asynchronous stops: C1's terminate and (when asked) Meibel's cancel accept the call and the run
/// reaches its final state some time later, as BEHAVIOR.md says C1's does. A stop is settled
/// lazily, whenever the run is looked up, so no timer runs.
struct PendingStop: Sendable {
    var final: String
    var due: ContinuousClock.Instant
}

extension FakeState {
    /// How long after a cancel `provider`'s runs (or one run) take to reach their final state;
    /// nil or zero: at once (the default). Kept by `reset()` for the provider, like latency.
    public func setStopDelay(_ delay: Duration?, for provider: FakeProvider, id: String? = nil) {
        if let id {
            runStopDelays[provider, default: [:]][Self.key(provider, id)] = delay
        } else {
            stopDelays[provider] = delay
        }
    }

    /// Lets every accepted stop reach its final state now, whatever its delay; returns how many.
    @discardableResult
    public func finishStops() -> Int {
        var finished = 0
        for (provider, stops) in pendingStops {
            for key in stops.keys {
                pendingStops[provider]?[key]?.due = .now
                settle(provider, key)
                finished += 1
            }
        }
        return finished
    }

    /// When a cancelled or ended run got its final state (nil for a seeded one).
    func endedAt(_ provider: FakeProvider, _ id: String) -> Date? {
        endTimes[provider]?[Self.key(provider, id)]
    }

    /// Whether a cancel was accepted and the run has not stopped yet.
    func isStopping(_ provider: FakeProvider, _ id: String) -> Bool {
        settle(provider, Self.key(provider, id))
        return pendingStops[provider]?[Self.key(provider, id)] != nil
    }

    /// Cancels `id`: at once, or (with a stop delay) accepted now and `final` once the delay has
    /// passed. Either way the cancel counts now, once.
    func stop(_ provider: FakeProvider, _ id: String, final: String) {
        let key = Self.key(provider, id)
        let delay = runStopDelays[provider]?[key] ?? stopDelays[provider] ?? .zero
        guard delay > .zero else {
            setStatus(provider, id, final, countsAsCancellation: true)
            return
        }
        pendingStops[provider, default: [:]][key] = PendingStop(final: final, due: .now + delay)
        cancelCounts[provider, default: [:]][key, default: 0] += 1
    }

    /// Applies a stop that is due.
    func settle(_ provider: FakeProvider, _ key: String) {
        guard let stop = pendingStops[provider]?[key], ContinuousClock.now >= stop.due else { return }
        pendingStops[provider]?[key] = nil
        runs[provider, default: [:]][key] = stop.final
        endTimes[provider, default: [:]][key] = Date()
    }
}
