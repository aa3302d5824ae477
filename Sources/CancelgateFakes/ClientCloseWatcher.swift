import NIOCore

/// Tells a held call that its client went away. Hummingbird accepts half-closed connections, so a client
/// that gives up shows as an `inputClosed` event (or an inactive channel), not as a completed `closeFuture`.
/// Put first in the pipeline while a call is held, and taken out again afterwards; forwards everything.
final class ClientCloseWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let onClose: @Sendable () -> Void

    init(onClose: @escaping @Sendable () -> Void) {
        self.onClose = onClose
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { onClose() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        onClose()
        context.fireChannelInactive()
    }
}

extension FakeRequestContext {
    /// Runs `body` with a watcher on the connection; `onClose` fires if the client is or goes away meanwhile.
    /// A closed channel refuses the watcher, which counts as gone. A half-close that happened before the
    /// watcher was added is not seen (the call then waits for a release or the 60 s).
    func watchingClientClose<Value>(
        _ onClose: @escaping @Sendable () -> Void,
        _ body: () async throws -> Value
    ) async rethrows -> Value {
        let watcher = ClientCloseWatcher(onClose: onClose)
        let added = (try? await channel.pipeline.addHandler(watcher, position: .first).get()) != nil
        if !added { onClose() }
        defer {
            if added { channel.pipeline.removeHandler(watcher, promise: nil) }
        }
        return try await body()
    }
}
