import CurlClient
import Foundation
import Testing

@Suite("CurlClient cancellation and shutdown")
struct CurlClientLifecycleTests {
    @Test("cancelling the awaiting task ends it with .cancelled; the client keeps working")
    func cancelInFlight() async throws {
        let routes = TestRoutes()
        try await withTestServer(routes: routes) { client, base in
            let error = await withTaskGroup(of: CurlError?.self) { group in
                group.addTask { await expectFailure(client, CurlRequest(url: "\(base)/hold", timeout: .seconds(60))) }
                // Cancel only once the request is inside the handler.
                var arrivals = routes.arrivals.stream.makeAsyncIterator()
                _ = await arrivals.next()
                group.cancelAll()
                return await group.next() ?? nil
            }
            #expect(error?.kind == .cancelled)
            #expect(error?.requestSent == true)
            routes.gate.open()
            let response = try await client.execute(CurlRequest(url: "\(base)/n/after"))
            #expect(String(decoding: response.body, as: UTF8.self) == "value-after")
        }
    }

    @Test("a task cancelled before it calls execute gets .cancelled without sending")
    func cancelBeforeStart() async throws {
        try await withTestServer { client, base in
            let error = await withTaskGroup(of: CurlError?.self) { group in
                group.addTask {
                    withUnsafeCurrentTask { $0?.cancel() }
                    return await expectFailure(client, CurlRequest(url: "\(base)/n/1"))
                }
                return await group.next() ?? nil
            }
            #expect(error?.kind == .cancelled)
            #expect(error?.requestSent == false)
            let response = try await client.execute(CurlRequest(url: "\(base)/n/2"))
            #expect(response.status == 200)
        }
    }

    @Test("shutdown fails an in-flight transfer and every later call with .shutdown")
    func shutdown() async throws {
        let routes = TestRoutes()
        try await withTestServer(routes: routes) { client, base in
            let error = await withTaskGroup(of: CurlError?.self) { group in
                group.addTask { await expectFailure(client, CurlRequest(url: "\(base)/hold", timeout: .seconds(60))) }
                var arrivals = routes.arrivals.stream.makeAsyncIterator()
                _ = await arrivals.next()
                await client.shutdown()
                return await group.next() ?? nil
            }
            #expect(error?.kind == .shutdown)
            #expect(error?.requestSent == true)
            await client.shutdown()  // idempotent
            let later = await expectFailure(client, CurlRequest(url: "\(base)/n/1"))
            #expect(later?.kind == .shutdown)
            #expect(later?.requestSent == false)
        }
    }

    @Test("a client dropped without shutdown stops its thread")
    func deinitStops() async throws {
        try await withTestServer { _, base in
            var client: CurlClient? = try CurlClient()
            let response = try await client?.execute(CurlRequest(url: "\(base)/n/1"))
            #expect(response?.status == 200)
            client = nil
            #expect(client == nil)
        }
    }
}
