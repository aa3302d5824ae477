public import CurlClient
public import ServiceLifecycle

/// Keeps the shared `CurlClient` alive while the gateway serves. Place it before the
/// application in the service group: shutdown runs in reverse order, so in-flight upstream calls
/// finish before the client stops.
public struct CurlClientService: Service {
    public let client: CurlClient

    public init(client: CurlClient) {
        self.client = client
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await client.shutdown()
    }
}
