// The public vocabulary of the fake upstreams: which provider, what went wrong on purpose, what was received.

/// The four providers the fakes imitate; each lives under its own path prefix on one server.
public enum FakeProvider: String, Sendable, CaseIterable, Codable {
    case kubiya, skyvern, meibel, c1
}

/// A failure injected into a provider's cancel routes (never C1's token route).
public enum FakeFault: Sendable, Equatable {
    /// Answer this status with the provider's own error body shape; no state changes.
    case status(Int)
    /// Hold the call until `releaseHangs()`/`reset()` or 60 s, then answer normally;
    /// abandoned without any state change if the client disconnects first.
    case hang
    /// 200 with a body that is not JSON; no state changes.
    case garbage
    /// Close the TCP connection without any answer; no state changes.
    case closeConnection
    /// Perform the cancellation (state changes), then close the connection without answering.
    case cancelThenClose
}

/// One received call (any route), recorded once auth has been judged.
public struct FakeCall: Sendable {
    public var provider: FakeProvider
    /// The raw request path as received (still percent-encoded, no query).
    public var path: String
    /// The ID(s) this call named: the path parameter percent-decoded, or the body list in order.
    public var ids: [String]
    /// The `X-Request-ID` header, if any.
    public var requestID: String?
    public var authorized: Bool

    public init(provider: FakeProvider, path: String, ids: [String], requestID: String?, authorized: Bool) {
        self.provider = provider
        self.path = path
        self.ids = ids
        self.requestID = requestID
        self.authorized = authorized
    }
}
