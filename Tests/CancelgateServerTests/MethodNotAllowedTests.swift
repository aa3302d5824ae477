import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import InMemoryLogging
import Logging
import Testing

@testable import CancelgateServer

/// A wrong method on a known path is 405 with `Allow`, as a problem like the others; an unknown
/// path stays 404.
@Suite struct MethodNotAllowedTests {
    @Test(arguments: [
        ("/v1/cancel", HTTPRequest.Method.get, "POST"),
        ("/v1/upstreams", .delete, "GET, HEAD"),
        ("/healthz", .post, "GET, HEAD"),
        ("/admin/reload", .put, "POST"),
    ])
    func wrongMethodOnAKnownPathIs405WithAllow(path: String, method: HTTPRequest.Method, allow: String) async throws {
        try await GatewayHarness.run { h in
            let response = try await h.gateway.execute(uri: path, method: method, headers: [.init("X-Request-ID")!: "wrong-method-1"])
            let problem = try BadInputTests.problem(response, status: 405)
            #expect(problem.type == "https://cancelgate.dev/problems/method-not-allowed")
            #expect(response.headers[.allow] == allow)
            #expect(problem.detail.contains(method.rawValue) && problem.detail.contains(allow))
            #expect(response.headers[.init("X-Request-ID")!] == "wrong-method-1")
            #expect(h.logs.entries.contains { "\($0.message)" == "request refused" && $0.metadata["http.status"] == "405" })
        }
    }

    /// Every GET path answers HEAD (openapi.json says so): it is never a 405.
    @Test func headOnAGetPathIsAnswered() async throws {
        try await GatewayHarness.run { h in
            let response = try await h.gateway.execute(uri: "/healthz", method: .head)
            #expect(response.status == .ok)
            #expect(response.body.readableBytes == 0)
        }
    }

    @Test func unknownPathIsStill404() async throws {
        try await GatewayHarness.run { h in
            let response = try await h.gateway.execute(uri: "/v1/nothing-here", method: .post)
            _ = try BadInputTests.problem(response, status: 404)
            #expect(response.headers[.allow] == nil)
        }
    }

    /// The methods come from the router's routes, path parameters and wildcards included.
    @Test func allowedMethodsComeFromTheRoutes() throws {
        let router = Router()
        router.get("/things/:id") { _, _ in "" }
        router.delete("/things/:id") { _, _ in "" }
        router.post("/files/**") { _, _ in "" }
        let middleware = MethodNotAllowedMiddleware(routes: router.routes, headForGet: true)
        #expect(middleware.route(for: "/things/42")?.methods.map(\.rawValue).sorted() == ["DELETE", "GET", "HEAD"])
        #expect(middleware.route(for: "/things/42/more") == nil)
        #expect(middleware.route(for: "/files/a/b")?.methods == [.post])
        #expect(middleware.route(for: "/other") == nil)
    }
}
