import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// ConductorOne (C1) automation terminate, gRPC-gateway style. States: PENDING, CREATING, GET_STEP,
// PROCESS_STEP, COMPLETE_STEP, WAITING, DONE, ERROR, TERMINATE, plus the seed-only FORBIDDEN.
//   auth       Bearer must be an unexpired issued token or the static token, else 401 {"code":16,…}
//   ID         not an int64 → 400 {"code":3,"message":"invalid argument"}
//   unknown    → 404 {"code":5,"message":"not found"}
//   FORBIDDEN  → 403 {"code":7,"message":"permission denied"}
//   otherwise  → 200 {} and the state becomes TERMINATE (terminate is asynchronous: with a stop delay
//                the run keeps its state until the delay has passed, see FakeState+Stops.swift)
//   status     GET …/automation_executions/{id} → 200 {"automationExecution": {"id", "state":
//              "AUTOMATION_EXECUTION_STATE_<state>", "createdAt", "updatedAt", "completedAt"?}}; errors as above
extension FakeUpstreams {
    func addC1Routes(to router: Router<FakeRequestContext>) {
        router.post("/c1/auth/v1/token") { request, context in
            try await c1Token(request, context)
        }
        router.post("/c1/api/v1/automation_executions/:id/actions/terminate") { request, context in
            try await c1Terminate(request, context)
        }
        router.get("/c1/api/v1/automation_executions/:id") { request, context in
            try await c1Status(request, context)
        }
    }

    private func c1Status(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let id = percentDecoded(context.parameters.get("id") ?? "")
        let authorized = await c1Authorized(request)
        return try await serve(.c1, request, context, ids: [id], authorized: authorized) {
            guard authorized else { return C1Error.response(status: 401, code: 16, message: "unauthenticated") }
            guard Int64(id) != nil else { return C1Error.response(status: 400, code: 3, message: "invalid argument") }
            guard let (status, ended) = await state.c1Read(id) else { return C1Error.response(status: 404, code: 5, message: "not found") }
            guard status != "FORBIDDEN" else { return C1Error.response(status: 403, code: 7, message: "permission denied") }
            let created = Date().addingTimeInterval(-3600).formatted(.iso8601)
            var fields: [(String, JSONValue)] = [
                ("id", .string(id)), ("state", .string("AUTOMATION_EXECUTION_STATE_" + status)), ("createdAt", .string(created)),
                ("updatedAt", .string((ended ?? Date()).formatted(.iso8601))),
            ]
            if let ended { fields.append(("completedAt", .string(ended.formatted(.iso8601)))) }
            return FakeResponse.json(200, .object([("automationExecution", .object(fields))]))
        }
    }

    private func c1Terminate(_ request: Request, _ context: FakeRequestContext) async throws -> Response {
        let id = percentDecoded(context.parameters.get("id") ?? "")
        let bytes = try await body(of: request, context)
        let authorized = await c1Authorized(request)
        return try await serve(.c1, request, context, ids: [id], authorized: authorized) {
            guard authorized else { return C1Error.response(status: 401, code: 16, message: "unauthenticated") }
            let bodyIsObject = bytes.isEmpty || JSONValue.parse(bytes)?.isObject == true
            guard Int64(id) != nil, bodyIsObject else {
                return C1Error.response(status: 400, code: 3, message: "invalid argument")
            }
            switch await state.c1Terminate(id) {
            case .notFound: return C1Error.response(status: 404, code: 5, message: "not found")
            case .forbidden: return C1Error.response(status: 403, code: 7, message: "permission denied")
            case .accepted: return FakeResponse.raw(200, "{}", contentType: "application/json")
            }
        }
    }

    private func c1Authorized(_ request: Request) async -> Bool {
        guard let token = request.bearerToken else { return false }
        if token == credentials.c1StaticToken { return true }
        return await state.c1TokenValid(token)
    }
}

/// gRPC-gateway error bodies.
enum C1Error {
    static func response(status: Int, code: Int, message: String) -> Response {
        FakeResponse.json(status, .object([("code", .int(code)), ("message", .string(message))]))
    }

    /// The gRPC status code gRPC-gateway would have mapped to this HTTP status.
    static func grpcCode(forHTTP status: Int) -> Int {
        switch status {
        case 400: 3  // INVALID_ARGUMENT
        case 401: 16  // UNAUTHENTICATED
        case 403: 7  // PERMISSION_DENIED
        case 404: 5  // NOT_FOUND
        case 409: 10  // ABORTED
        case 429: 8  // RESOURCE_EXHAUSTED
        case 501: 12  // UNIMPLEMENTED
        case 503: 14  // UNAVAILABLE
        case 504: 4  // DEADLINE_EXCEEDED
        case 500..<600: 13  // INTERNAL
        default: 2  // UNKNOWN
        }
    }
}

enum C1Outcome {
    case accepted, notFound, forbidden
}

extension FakeState {
    func c1Terminate(_ id: String) -> C1Outcome {
        guard let status = lookup(.c1, id, autoCreateAs: "PROCESS_STEP") else { return .notFound }
        switch status {
        case "FORBIDDEN": return .forbidden
        case "TERMINATE": return .accepted
        default:
            if !isStopping(.c1, id) { stop(.c1, id, final: "TERMINATE") }
            return .accepted
        }
    }

    /// The state word (without C1's prefix) and, for an ended run, when it ended; nil when unknown.
    func c1Read(_ id: String) -> (state: String, ended: Date?)? {
        guard let status = lookup(.c1, id, autoCreateAs: "PROCESS_STEP") else { return nil }
        let ended = ["DONE", "ERROR", "TERMINATE"].contains(status) ? endedAt(.c1, id) ?? Date().addingTimeInterval(-600) : nil
        return (status, ended)
    }

    func issueC1Token(_ token: String, lifetime: Int) {
        c1Tokens[token] = .now + .seconds(lifetime)
        c1TokenCount += 1
    }

    func c1TokenValid(_ token: String) -> Bool {
        guard let expiry = c1Tokens[token] else { return false }
        return ContinuousClock.now < expiry
    }
}
