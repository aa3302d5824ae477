// The public vocabulary of the fake upstreams: which provider, what went wrong on purpose, what was received.

/// The four providers the fakes imitate; each lives under its own path prefix on one server.
public enum FakeProvider: String, Sendable, CaseIterable, Codable {
    case kubiya, skyvern, meibel, c1
}

/// A failure injected into a provider's cancel and status routes (never C1's token route). Installed as a `FaultRule`
/// (which calls, how often, how many times) through `FakeState.setFault` / `addFaultRule` or `/_admin/faults`.
public enum FakeFault: Sendable, Equatable {
    /// Answer this status with the provider's own error body shape; no state changes.
    case status(Int)
    /// 429 in the provider's error shape, with a `Retry-After` header when given; no state changes.
    case rateLimited(retryAfter: RetryAfter?)
    /// Wait this long, then answer normally (on top of the provider's `setLatency`).
    case latency(Duration)
    /// Hold the call until `releaseHangs()`/`reset()` or 60 s, then answer normally;
    /// abandoned without any state change if the client disconnects first.
    case hang
    /// 200 with a body that is not JSON; no state changes.
    case garbage
    /// Close the TCP connection without any answer; no state changes.
    case closeConnection
    /// Perform the cancellation (state changes), send the answer's head (with its full `Content-Length`) and
    /// the first half of its body, then close the connection: the client sees a cut-off answer.
    case closeAfterBody
    /// Perform the cancellation and send the real answer `chunkBytes` at a time, waiting `interval` between chunks.
    case slowBody(chunkBytes: Int, interval: Duration)
    /// Perform the cancellation (state changes), then close the connection without answering.
    case cancelThenClose
}

/// The value of a `Retry-After` header (RFC 9110 §10.2.3): delay seconds or an HTTP-date, kept as written.
public enum RetryAfter: Sendable, Equatable, CustomStringConvertible {
    case seconds(Int)
    /// An IMF-fixdate such as `Wed, 21 Oct 2026 07:28:00 GMT`.
    case httpDate(String)

    /// Digits are seconds; anything else must be an IMF-fixdate. Nil otherwise.
    public init?(_ text: String) {
        if !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), let seconds = Int(text) {
            self = .seconds(seconds)
        } else if HTTPDate.isValid(text) {
            self = .httpDate(text)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .seconds(let seconds): String(seconds)
        case .httpDate(let date): date
        }
    }
}

extension RetryAfter: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    /// `"2"` or `"Wed, 21 Oct 2026 07:28:00 GMT"` written in code; an invalid literal is a programmer error and traps.
    public init(stringLiteral value: String) {
        guard let parsed = RetryAfter(value) else { preconditionFailure("not a Retry-After value: \(value)") }
        self = parsed
    }

    public init(integerLiteral value: Int) {
        precondition(value >= 0, "Retry-After seconds cannot be negative")
        self = .seconds(value)
    }
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
    /// "POST" for cancels, "GET" for status reads.
    public var method: String

    /// A status read (GET), not a cancel.
    public var isStatusRead: Bool { method == "GET" }

    /// When the fake received it (a job's `rate_per_second` is measured from these).
    public var receivedAt: ContinuousClock.Instant

    public init(
        provider: FakeProvider, path: String, ids: [String], requestID: String?, authorized: Bool, method: String = "POST",
        receivedAt: ContinuousClock.Instant = .now
    ) {
        self.receivedAt = receivedAt
        self.method = method
        self.provider = provider
        self.path = path
        self.ids = ids
        self.requestID = requestID
        self.authorized = authorized
    }
}
