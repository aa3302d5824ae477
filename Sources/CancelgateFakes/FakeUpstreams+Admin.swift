import HTTPTypes
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The fakes' own control surface, on the fakes' port only (the gateway has nothing like it):
//   GET    /_admin/faults             rules in place (with what is left of `times`), injected counts, held calls, seed
//   POST   /_admin/faults             add one rule: a `FaultRuleDocument`; 201 with the rule as installed
//   DELETE /_admin/faults[?provider=] remove the rules of one provider or of all; 200 {"cleared": n}
//   POST   /_admin/release            let every call held by `hang` go on; 200 {"released": n}
// Bad input is 400 {"error":"bad_request","message":"…"}.
extension FakeUpstreams {
    func addAdminRoutes(to router: Router<FakeRequestContext>) {
        let admin = router.group("_admin")
        admin.get("faults") { _, _ in
            await faultsReport()
        }
        admin.post("faults") { request, context in
            try await addFaultRule(request, context)
        }
        admin.delete("faults") { request, _ in
            try await clearFaultRules(request)
        }
        admin.post("release") { _, _ in
            AdminCount(key: .released, value: await state.releaseHangs())
        }
    }

    private func faultsReport() async -> FaultsReport {
        let rules = await state.faultRules()
        let injected = await state.faultsInjected()
        return FaultsReport(
            seed: await state.faultSeed,
            rules: FakeProvider.allCases.flatMap { provider in
                (rules[provider] ?? []).map { FaultRuleDocument(provider: provider, rule: $0) }
            },
            injected: Dictionary(uniqueKeysWithValues: FakeProvider.allCases.map { ($0.rawValue, injected[$0] ?? 0) }),
            held: await state.heldCount()
        )
    }

    private func addFaultRule(_ request: Request, _ context: FakeRequestContext) async throws -> EditedResponse<InstalledRule> {
        let bytes = try await body(of: request, context)
        let document: FaultRuleDocument
        do {
            document = try JSONDecoder().decode(FaultRuleDocument.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw AdminError(error.adminMessage)
        }
        let resolved: (provider: FakeProvider, rule: FaultRule)
        do {
            resolved = try document.resolved()
        } catch {
            throw AdminError(error.description)
        }
        await state.addFaultRule(resolved.rule, for: resolved.provider)
        return EditedResponse(status: .created, response: InstalledRule(document: FaultRuleDocument(provider: resolved.provider, rule: resolved.rule)))
    }

    private func clearFaultRules(_ request: Request) async throws -> AdminCount {
        guard let name = request.uri.queryParameters.get("provider") else {
            return AdminCount(key: .cleared, value: await state.clearFaults())
        }
        guard let provider = FakeProvider(rawValue: name) else {
            throw AdminError("unknown provider \"\(name)\"; expected one of kubiya, skyvern, meibel, c1")
        }
        return AdminCount(key: .cleared, value: await state.clearFaults(for: provider))
    }
}

extension FakeState {
    /// Calls being held by `hang` right now.
    func heldCount() -> Int {
        hangs.count
    }
}

/// The answer of `GET /_admin/faults`.
struct FaultsReport: ResponseEncodable {
    let seed: UInt64
    let rules: [FaultRuleDocument]
    /// provider → calls a fault was applied to (every provider listed).
    let injected: [String: Int]
    let held: Int
}

/// `{"cleared": n}` or `{"released": n}`.
struct AdminCount: ResponseEncodable {
    enum Key: String, CodingKey {
        case cleared, released
    }

    let key: Key
    let value: Int

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(value, forKey: key)
    }
}

/// One installed rule, as the answer of `POST /_admin/faults`.
struct InstalledRule: ResponseEncodable {
    let document: FaultRuleDocument

    func encode(to encoder: any Encoder) throws {
        try document.encode(to: encoder)
    }
}

/// A refused admin request: 400 with a JSON message.
struct AdminError: HTTPResponseError {
    let message: String

    init(_ message: String) {
        self.message = message
    }

    var status: HTTPResponse.Status { .badRequest }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        FakeResponse.json(400, .object([("error", .string("bad_request")), ("message", .string(message))]))
    }
}

extension DecodingError {
    /// A sentence naming the JSON key at fault, without Swift type names.
    var adminMessage: String {
        switch self {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "the body is not a JSON object: \(context.debugDescription)"
        case .dataCorrupted(let context):
            return context.debugDescription
        case .typeMismatch(_, let context) where context.codingPath.isEmpty:
            return "the body is not a JSON object"
        case .keyNotFound(let key, _):
            return "\"\(key.stringValue)\" is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
        @unknown default:
            return "the body is not a fault rule"
        }
    }
}
