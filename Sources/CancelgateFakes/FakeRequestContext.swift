public import Hummingbird
import NIOCore

/// The fakes' request context: keeps the connection's channel so a fault can close it without answering.
public struct FakeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// Closes the TCP connection; the handler then throws so no answer is written.
    func closeConnection() async {
        try? await channel.close()
    }
}
