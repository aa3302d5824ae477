internal import Synchronization
public import ServiceLifecycle

/// Serving or draining, for `/readyz`.
public final class Readiness: Sendable {
    // An atomic, not a Mutex: the thread sanitizer cannot see Synchronization.Mutex's futex on
    // Linux and reports every access under it as a race.
    private let draining = Atomic<Bool>(false)

    public init() {}

    public var isDraining: Bool { draining.load(ordering: .acquiring) }

    public func startDraining() { draining.store(true, ordering: .releasing) }
}

/// Turns `/readyz` to 503 as soon as graceful shutdown starts. Place it after the application in
/// the service group: shutdown runs in reverse order, so this flips before the server stops.
public struct ReadinessService: Service {
    public let readiness: Readiness

    public init(readiness: Readiness) {
        self.readiness = readiness
    }

    public func run() async throws {
        try? await gracefulShutdown()
        readiness.startDraining()
    }
}
