import CurlClient
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The routes the client tests talk to.
struct TestRoutes: Sendable {
    /// Released by the test; `/hold` waits on it.
    let gate = Gate()
    /// One event per request that reached `/hold`.
    let arrivals = AsyncStream<Void>.makeStream()

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("echo") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            var headers = HTTPFields()
            headers[HTTPField.Name("X-Seen-Test")!] = request.headers[HTTPField.Name("X-Test")!] ?? "missing"
            headers[HTTPField.Name("X-Seen-Method")!] = request.method.rawValue
            headers[HTTPField.Name("X-Seen-Length")!] = request.headers[.contentLength] ?? "none"
            headers[.contentType] = "application/octet-stream"
            return Response(status: .created, headers: headers, body: .init(byteBuffer: body))
        }
        router.get("fail") { _, _ -> Response in
            Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "boom")))
        }
        router.get("n/:value") { _, context -> String in
            "value-\(context.parameters.get("value") ?? "?")"
        }
        router.get("bytes/:count") { _, context -> Response in
            let count = context.parameters.get("count", as: Int.self) ?? 0
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "x"), count: count)))
        }
        router.get("hold") { [gate, arrivals] _, _ -> String in
            arrivals.continuation.yield()
            await gate.wait()
            return "released"
        }
        return router
    }
}

/// A one-shot latch: `wait()` suspends until `open()`, then never again.
// unchecked Sendable: `isOpen` and `waiters` are touched only while holding `lock` (an NSLock, which
// ThreadSanitizer sees, unlike Synchronization.Mutex on Linux).
final class Gate: @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        await withCheckedContinuation { continuation in
            lock.lock()
            let resumeNow = isOpen
            if !resumeNow { waiters.append(continuation) }
            lock.unlock()
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        lock.lock()
        isOpen = true
        let released = waiters
        waiters = []
        lock.unlock()
        for waiter in released { waiter.resume() }
    }
}

/// Runs a Hummingbird app on 127.0.0.1, port 0, and a `CurlClient`; `body` gets both the client and
/// the base URL. The port comes from `onServerRunning`, never a guess or a sleep.
func withTestServer<T: Sendable>(
    routes: TestRoutes = TestRoutes(),
    configuration: CurlClientConfiguration = .init(),
    _ body: (CurlClient, String) async throws -> T
) async throws -> T {
    let (ports, portSink) = AsyncStream<Int>.makeStream()
    var logger = Logger(label: "CurlClientTests")
    logger.logLevel = .warning
    let app = Application(
        router: routes.router(),
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            portSink.yield(channel.localAddress?.port ?? 0)
            portSink.finish()
        },
        logger: logger
    )
    let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await services.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port != 0 else {
            group.cancelAll()
            throw TestServerError.noPort
        }
        let client = try CurlClient(configuration: configuration)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(client, "http://127.0.0.1:\(port)"))
        } catch {
            result = .failure(error)
        }
        // Release held handlers and close the client's connections, then stop the server gracefully.
        routes.gate.open()
        await client.shutdown()
        await services.triggerGracefulShutdown()
        return try result.get()
    }
}

enum TestServerError: Error {
    case noPort
    case socket(String)
}

/// A loopback port that refuses connections: bound, never listening, so nobody else can take it
/// while the test runs. Close the returned descriptor afterwards.
func refusingPort() throws -> (descriptor: Int32, port: Int) {
    #if canImport(Glibc)
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let descriptor = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard descriptor >= 0 else { throw TestServerError.socket("socket") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
            bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
        }
    }
    guard bound else {
        close(descriptor)
        throw TestServerError.socket("bind")
    }
    return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
}

/// A loopback server that answers one connection with `response` as raw bytes (header lines
/// Hummingbird would never write: folded, padded with tabs, non-ASCII), then closes it.
func withRawResponder<T: Sendable>(_ response: String, _ body: (Int) async throws -> T) async throws -> T {
    let (descriptor, port) = try refusingPort()
    defer { close(descriptor) }
    guard listen(descriptor, 4) == 0 else { throw TestServerError.socket("listen") }
    let served = Thread {
        let connection = accept(descriptor, nil, nil)
        guard connection >= 0 else { return }
        defer { close(connection) }
        var request: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !request.ends(with: Array("\r\n\r\n".utf8)) {
            let count = read(connection, &chunk, chunk.count)
            guard count > 0 else { return }
            request.append(contentsOf: chunk[0..<count])
        }
        var bytes = Array(response.utf8)
        _ = write(connection, &bytes, bytes.count)
    }
    served.start()
    return try await body(port)
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
