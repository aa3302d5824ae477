public import Hummingbird
import NIOCore

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The fakes' request context: keeps the connection's channel so a fault can close it without answering.
public struct FakeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// Sorted keys, so `/_admin/faults` answers read the same every time (provider answers are written by hand).
    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }

    /// Closes the TCP connection; the handler then throws so no answer is written.
    func closeConnection() async {
        try? await channel.close()
    }
}
