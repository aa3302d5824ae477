internal import CancelgateCore
public import Logging
public import ServiceLifecycle

/// Reloads the configuration on each element of `signals` (SIGHUP in `cancelgate serve`; tests
/// pass their own sequence). Ends with the service group's graceful shutdown.
public struct ReloadService<Signals: AsyncSequence & Sendable>: Service where Signals.Element: Sendable {
    let live: LiveConfiguration
    let signals: Signals
    let logger: Logger

    public init(live: LiveConfiguration, signals: Signals, logger: Logger) {
        self.live = live
        self.signals = signals
        self.logger = logger
    }

    public func run() async throws {
        for try await _ in signals.cancelOnGracefulShutdown() {
            await live.reload(logger: logger)
        }
    }
}
