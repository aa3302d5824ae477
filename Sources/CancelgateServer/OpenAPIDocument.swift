internal import Foundation
internal import Hummingbird

/// `GET /openapi.json`: the OpenAPI 3.1 document of cancelgate's own API. It is a resource of this
/// module (`Resources/openapi.json`, SwiftPM's bundle `cancelgate_CancelgateServer.resources`,
/// which must sit next to the executable) and is read once, when the router is built.
enum OpenAPIDocument {
    /// The document exactly as shipped. Without it the process stops at start, naming the file,
    /// rather than answering 500 later (`Bundle.module` itself stops when the bundle is missing).
    static let data: Data = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            fatalError("openapi.json is missing from the resource bundle cancelgate_CancelgateServer.resources")
        }
        return data
    }()

    /// The route handler; reads the document now, so a missing resource shows at start.
    static func handler() -> @Sendable (Request, GatewayContext) async throws -> Response {
        let body = ByteBuffer(bytes: data)
        return { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
    }
}
