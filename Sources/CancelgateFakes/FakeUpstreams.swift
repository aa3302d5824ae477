public import Hummingbird
public import Logging
import NIOCore

/// The four fake providers as one Hummingbird app. Each provider lives under `basePath(_:)`, which is what
/// the gateway's `base_url` for it should point at. State, faults and latency are driven through `state`,
/// or over HTTP through `/_admin/faults` (see `FakeUpstreams+Admin.swift`).
public struct FakeUpstreams: Sendable {
    public let state: FakeState
    public let credentials: FakeCredentials

    /// - Parameters:
    ///   - autoCreate: an unknown well-formed ID is treated as a running run (benchmarks, chaos test).
    ///   - seed: starts the generator that decides fault probabilities (see `FakeState.init`).
    ///   - faults: fault rules in place from the start.
    public init(
        credentials: FakeCredentials = .generate(), latency: [FakeProvider: Duration] = [:], autoCreate: Bool = false,
        seed: UInt64 = 0, faults: [FakeProvider: [FaultRule]] = [:]
    ) {
        self.credentials = credentials
        self.state = FakeState(latency: latency, autoCreate: autoCreate, seed: seed, faults: faults)
    }

    public static func basePath(_ provider: FakeProvider) -> String {
        switch provider {
        case .kubiya: "/kubiya"
        case .skyvern: "/skyvern"
        case .meibel: "/meibel/v2"
        case .c1: "/c1"
        }
    }

    public func buildRouter() -> Router<FakeRequestContext> {
        let router = Router(context: FakeRequestContext.self)
        router.add(middleware: FakeRouteMissMiddleware())
        addKubiyaRoutes(to: router)
        addSkyvernRoutes(to: router)
        addMeibelRoutes(to: router)
        addC1Routes(to: router)
        addAdminRoutes(to: router)
        return router
    }

    /// - Parameter onServerRunning: receives the bound port (useful with `port: 0`).
    public func buildApplication(
        host: String = "127.0.0.1",
        port: Int = 0,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        logger: Logger? = nil
    ) -> some ApplicationProtocol {
        Application(
            router: buildRouter(),
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    /// The steps every route shares: record the call, wait the provider's latency, then apply an injected
    /// fault (cancel and status routes) or let `answer` produce the provider's real answer.
    func serve(
        _ provider: FakeProvider,
        _ request: Request,
        _ context: FakeRequestContext,
        ids: [String],
        authorized: Bool,
        faultable: Bool = true,
        answer: () async throws -> Response
    ) async throws -> Response {
        let call = FakeCall(provider: provider, path: request.uri.path, ids: ids, requestID: request.requestID, authorized: authorized,
            method: request.method.rawValue)
        await state.record(call)
        let ticket = await state.callStarted(provider)
        do {
            let response = try await answerCall(ticket, ids: ids, context, faultable: faultable, answer: answer)
            await state.callEnded(ticket)
            return response
        } catch {
            await state.callEnded(ticket)
            throw error
        }
    }

    private func answerCall(
        _ ticket: CallTicket, ids: [String], _ context: FakeRequestContext, faultable: Bool, answer: () async throws -> Response
    ) async throws -> Response {
        let provider = ticket.provider
        if let latency = await state.latency(for: provider), latency > .zero {
            try await Task.sleep(for: latency)
        }
        guard faultable, let fault = await state.takeFault(for: provider, ids: ids) else {
            return try await answer()
        }
        return try await apply(fault, ticket, context, answer: answer)
    }

    /// Holds a call until released, 60 s pass, the client closes its side, or the task is cancelled.
    func hold(_ context: FakeRequestContext) async -> HangEnd {
        let latch = HangLatch()
        await state.addHang(latch)
        let end = await context.watchingClientClose({ latch.resume(.clientGone) }) {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    try? await Task.sleep(for: .seconds(60))
                    latch.resume(.timedOut)
                }
                let end = await withTaskCancellationHandler {
                    await latch.wait()
                } onCancel: {
                    latch.resume(.cancelled)
                }
                group.cancelAll()
                return end
            }
        }
        await state.removeHang(latch)
        return end
    }

    /// Reads the whole request body (bounded by the context's upload limit).
    func body(of request: Request, _ context: FakeRequestContext) async throws -> [UInt8] {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        return Array(buffer.readableBytesView)
    }
}
