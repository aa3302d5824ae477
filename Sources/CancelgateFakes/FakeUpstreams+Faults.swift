import HTTPTypes
import Hummingbird

extension FakeUpstreams {
    /// What a faulted cancel call gets instead of (or around) `answer`, the provider's real answer.
    func apply(
        _ fault: FakeFault,
        _ ticket: CallTicket,
        _ context: FakeRequestContext,
        answer: () async throws -> Response
    ) async throws -> Response {
        let provider = ticket.provider
        switch fault {
        case .status(let code):
            return FakeResponse.fault(provider, status: code)
        case .rateLimited(let retryAfter):
            var response = FakeResponse.fault(provider, status: 429)
            if let retryAfter { response.headers[.retryAfter] = retryAfter.description }
            return response
        case .latency(let delay):
            try await Task.sleep(for: delay)
            return try await answer()
        case .garbage:
            return FakeResponse.garbage()
        case .closeConnection:
            await state.callEnded(ticket)
            await context.closeConnection()
            throw FakeAbort.connectionClosed
        case .closeAfterBody:
            return try await answer().cutShort()
        case .slowBody(let chunkBytes, let interval):
            return try await answer().trickled(chunkBytes: chunkBytes, interval: interval)
        case .cancelThenClose:
            _ = try await answer()
            await state.callEnded(ticket)
            await context.closeConnection()
            throw FakeAbort.connectionClosed
        case .hang:
            switch await hold(context) {
            case .released, .timedOut: return try await answer()
            case .clientGone, .cancelled: throw FakeAbort.abandoned
            }
        }
    }
}

extension HTTPField.Name {
    static let retryAfter = Self("Retry-After")!
}
