import CancelgateWire
import CancelgateCore
import CurlClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Logging
import Testing

@testable import CancelgateServer

/// The OpenAPI document (`GET /openapi.json`) against the code: what Swift can check without a
/// JSON Schema validator. Checking real answers against the document's schemas is
/// `.ci/validate-responses.py`'s job, on the answers `RecordingTestClient` writes down.
struct OpenAPITests {
    static let sourceURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/CancelgateServer/Resources/openapi.json")

    static func document() throws -> JSONValue { try JSONValue.parse(Data(contentsOf: sourceURL)) }

    @Test func servesTheShippedDocumentAsOpenAPI31() async throws {
        let shipped = try Data(contentsOf: Self.sourceURL)
        #expect(OpenAPIDocument.data == shipped)
        try await GatewayHarness.run { h in
            let response = try await h.gateway.execute(uri: "/openapi.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            #expect(Data(response.body.readableBytesView) == shipped)
        }
        let document = try Self.document()
        #expect(document["openapi"]?.string?.hasPrefix("3.1.") == true)
        #expect(document["info"]?["title"]?.string == "cancelgate")
    }

    /// Compared with the real router: a route added without documentation, or a documented
    /// operation that no longer exists, fails here. (The router adds HEAD to every GET itself, with `.autoGenerateHeadEndpoints`.)
    @Test func everyRouteIsDocumentedAndEveryOperationIsARoute() throws {
        let config = try ConfigLoader.load(
            data: Data(#"{"upstreams": {"k": {"provider": "kubiya", "base_url": "http://127.0.0.1:9"}}}"#.utf8), environment: [:])
        let client = try CurlClient()
        defer { client.shutdown() }
        let router = buildRouter(
            live: LiveConfiguration(config: config, transport: client), prometheus: PrometheusMetrics(), readiness: Readiness(),
            keeper: RecordKeeper(
                store: MemoryStore(keys: InMemoryIdempotencyStore(maxEntries: 10)), logger: Logger(label: "test"),
                fallbackKeys: InMemoryIdempotencyStore(maxEntries: 10)))
        let routed = Set(router.routes.filter { $0.method != .head }.map { "\($0.method.rawValue) \($0.path.description)" })
        let document = try Self.document()
        var documented: Set<String> = []
        for (path, item) in document["paths"]?.object ?? [:] {
            for method in (item.object ?? [:]).keys where Self.httpMethods.contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        #expect(routed.subtracting(documented).isEmpty, "routes missing from openapi.json")
        #expect(documented.subtracting(routed).isEmpty, "openapi.json documents operations the router does not have")
        #expect(routed.contains("POST /v1/cancel") && routed.contains("GET /openapi.json"))
    }

    static let httpMethods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// Every problem the code can answer is documented with its status and its `type` URL.
    @Test func everyProblemIsDocumentedWithItsStatusAndType() throws {
        let document = try Self.document()
        let cancel = try #require(document["paths"]?["/v1/cancel"]?["post"]?["responses"])
        let cancelProblems: [Problem] = [
            .unreadableJSON("x"), .invalid([.init(pointer: "", message: "x")]), .tooLarge(limit: 1), .unsupportedMediaType,
            .unauthorized("x"), .conflict("x"), .internalError,
        ]
        for problem in cancelProblems {
            let response = try #require(document.resolving(cancel["\(problem.status.code)"]), "\(problem.status.code) not documented")
            #expect(response.problemConstants(in: document) == ProblemConstants(status: problem.status.code, type: problem.type))
        }
        // 404 answers any path or method the router does not serve: it has a shared response.
        let notFound = try #require(document["components"]?["responses"]?["NotFound"])
        #expect(notFound.problemConstants(in: document) == ProblemConstants(status: 404, type: Problem.notFound.type))
        // 405 answers a known path with a method it does not serve, with Allow.
        let notAllowed = try #require(document["components"]?["responses"]?["MethodNotAllowed"])
        let methodNotAllowed = Problem.methodNotAllowed(.get, allowed: [.post])
        #expect(notAllowed.problemConstants(in: document) == ProblemConstants(status: 405, type: methodNotAllowed.type))
        #expect(notAllowed["headers"]?["Allow"]?["required"] == .bool(true))
        #expect(methodNotAllowed.headers[.allow] == "POST")
        // 401 also carries WWW-Authenticate.
        let unauthorized = try #require(document.resolving(cancel["401"]))
        #expect(unauthorized["headers"]?["WWW-Authenticate"]?["required"] == .bool(true))
        #expect(Problem.unauthorized("x").headers[.wwwAuthenticate] == "Bearer")
    }

    @Test func enumsMatchTheCode() throws {
        let schemas = try #require(try Self.document()["components"]?["schemas"])
        #expect(schemas["Outcome"]?["enum"]?.strings == Outcome.allCases.map(\.rawValue))
        #expect(schemas["ErrorCode"]?["enum"]?.strings == ErrorCode.allCases.map(\.rawValue))
        #expect(schemas["Provider"]?["enum"]?.strings == ProviderKind.allCases.map(\.rawValue))
    }

    /// One answer of each kind the other suites rarely give (GET endpoints, a dry run, a replay):
    /// each status and media type is documented for its operation, and the recorder (when on)
    /// hands them to the schema validator.
    @Test func eachEndpointsAnswersAreDocumented() async throws {
        let document = try Self.document()
        try await GatewayHarness.run(.init(autoCreate: true)) { h in
            let key = HTTPField.Name("Idempotency-Key")!
            var answers: [(String, String, TestResponse)] = []
            for path in ["/healthz", "/readyz", "/v1/upstreams", "/openapi.json", "/metrics"] {
                answers.append(("get", path, try await h.gateway.execute(uri: path, method: .get)))
            }
            // The harness's gateway was not started from a file: nothing to reload (409).
            answers.append(("post", "/admin/reload", try await h.gateway.execute(uri: "/admin/reload", method: .post)))
            let dryRun = try await h.post(GatewayHarness.body(ids: [TestIDs.skyvernTask(), "job-1", "abc"], upstream: nil), query: "?dry_run=true")
            #expect(String(buffer: dryRun.body).contains(#""plan":"#))
            answers.append(("post", "/v1/cancel", dryRun))
            let body = GatewayHarness.body(ids: [TestIDs.uuid(), TestIDs.c1(), TestIDs.meibel()])
            answers.append(("post", "/v1/cancel", try await h.post(body, headers: [key: "tour"])))
            let replay = try await h.post(body, headers: [key: "tour"])
            #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            answers.append(("post", "/v1/cancel", replay))
            for (method, path, response) in answers {
                let documented = document.resolving(document["paths"]?[path]?[method]?["responses"]?["\(response.status.code)"])
                let mediaType = response.headers[.contentType].map { String($0.split(separator: ";")[0]).trimmingCharacters(in: .whitespaces) }
                #expect(documented?["content"]?[mediaType ?? "-"] != nil, "\(method) \(path) \(response.status.code) \(mediaType ?? "no type")")
                if mediaType == "application/problem+json", let documented {
                    let problem = try JSONDecoder().decode(BadInputTests.ProblemBody.self, from: Data(response.body.readableBytesView))
                    #expect(documented.problemConstants(in: document) == ProblemConstants(status: problem.status, type: problem.type))
                }
            }
        }
    }
}

struct ProblemConstants: Equatable {
    var status: Int?
    var type: String?
}

extension JSONValue {
    subscript(_ key: String) -> JSONValue? {
        if case .object(let object) = self { object[key] } else { nil }
    }

    var object: [String: JSONValue]? {
        if case .object(let object) = self { object } else { nil }
    }

    var string: String? {
        if case .string(let text) = self { text } else { nil }
    }

    var strings: [String]? {
        if case .array(let elements) = self { elements.compactMap(\.string) } else { nil }
    }

    /// Follows a local `$ref` (`#/components/...`), as often as it takes.
    func resolving(_ value: JSONValue?) -> JSONValue? {
        guard let reference = value?["$ref"]?.string else { return value }
        let target = reference.dropFirst(2).split(separator: "/").reduce(Optional(self)) { node, key in node?[String(key)] }
        return resolving(target)
    }

    /// The `status` and `type` constants a problem response's `allOf` pins down.
    func problemConstants(in document: JSONValue) -> ProblemConstants {
        let parts = self["content"]?["application/problem+json"]?["schema"]?["allOf"]
        guard case .array(let schemas) = parts else { return ProblemConstants() }
        let properties = schemas.compactMap { document.resolving($0)?["properties"] }
        return ProblemConstants(
            status: properties.lazy.compactMap { $0["status"]?["const"]?.intValue }.first,
            type: properties.lazy.compactMap { $0["type"]?["const"]?.string }.first)
    }
}

/// With `CANCELGATE_RECORD_RESPONSES=<file>`, every answer the gateway gives through
/// `GatewayHarness` is appended to `<file>` as one JSON line, for `.ci/validate-responses.py`.
struct RecordingTestClient: TestClientProtocol {
    struct Record: Encodable {
        let test: String?
        let method: String
        let uri: String
        let status: Int
        let headers: [String: String]
        let body: String
    }

    static let log: ResponseLog? = ProcessInfo.processInfo.environment["CANCELGATE_RECORD_RESPONSES"].map(ResponseLog.init(path:))

    let inner: any TestClientProtocol
    var port: Int? { inner.port }

    static func wrap(_ client: any TestClientProtocol) -> any TestClientProtocol {
        log == nil ? client : RecordingTestClient(inner: client)
    }

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        let response = try await inner.executeRequest(uri: uri, method: method, headers: headers, body: body)
        var fields: [String: String] = [:]
        for field in response.headers {
            fields[field.name.canonicalName] = fields[field.name.canonicalName].map { $0 + ", " + field.value } ?? field.value
        }
        let record = Record(
            test: Test.current?.name, method: method.rawValue, uri: uri, status: response.status.code, headers: fields,
            body: String(decoding: response.body.readableBytesView, as: UTF8.self))
        Self.log?.append(try JSONEncoder().encode(record))
        return response
    }
}

/// One file of JSON lines, appended to by concurrent tests.
final class ResponseLog: Sendable {
    let path: String
    private let lock = NSLock()

    init(path: String) {
        self.path = path
    }

    func append(_ line: Data) {
        lock.withLock {
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            guard let handle = FileHandle(forWritingAtPath: path) else { return }
            defer { try? handle.close() }
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: line + Data("\n".utf8))
        }
    }
}
