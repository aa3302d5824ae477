internal import Synchronization
public import ServiceLifecycle

/// Serving or draining, for `/readyz`.
public final class Readiness: Sendable {
    private let draining = Mutex(false)

    public init() {}

    public var isDraining: Bool { draining.withLock { $0 } }

    public func startDraining() { draining.withLock { $0 = true } }
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
