internal import Crypto
internal import Foundation

/// Finds the `clients` entry whose token matches a presented bearer token. Every configured
/// token is compared, each in constant time over SHA-256 digests (equal lengths), so neither the
/// position of a match nor a token's length shows in the timing.
public struct ClientAuthenticator: Sendable {
    private let clients: [(client: ClientConfig, digest: Data)]

    public init(clients: [ClientConfig]) {
        self.clients = clients.map { ($0, Data(SHA256.hash(data: Data($0.token.revealed.utf8)))) }
    }

    /// False when `clients` is empty: no caller authentication (local use).
    public var isEnabled: Bool { !clients.isEmpty }

    public func authenticate(token: String) -> ClientConfig? {
        let presented = Data(SHA256.hash(data: Data(token.utf8)))
        var found: ClientConfig?
        for (client, digest) in clients {
            var difference: UInt8 = 0
            for (a, b) in zip(presented, digest) { difference |= a ^ b }
            if difference == 0, found == nil { found = client }
        }
        return found
    }
}
