import CancelgateCore
import Foundation
import Testing

/// Holds routes.schema.json to the loader. There is no JSON Schema validator among our Swift
/// packages, so this is structural; `.ci/check-schema.py` validates with python `jsonschema`.
@Suite("routes.schema.json")
struct ConfigSchemaTests {
    let schema: JSONValue

    init() throws {
        schema = try ConfigFixtures.json("routes.schema.json")
    }

    @Test func declaresDraft2020WithIdAndTitle() throws {
        #expect(schema.member("$schema") == .string("https://json-schema.org/draft/2020-12/schema"))
        guard case .string(let id)? = schema.member("$id"), case .string(let title)? = schema.member("title") else {
            Issue.record("$id and title must be strings")
            return
        }
        #expect(URL(string: id)?.scheme != nil)
        #expect(!title.isEmpty)
    }

    /// Both ways: the schema declares exactly the keys the loader accepts.
    @Test(arguments: ConfigLoader.allowedKeys.keys.sorted())
    func objectPropertiesMatchTheLoader(template: String) throws {
        let object = try #require(node(at: template), "no schema node for \(template)")
        #expect(Set(object.propertyNames) == Set(try #require(ConfigLoader.allowedKeys[template])))
        #expect(object.member("additionalProperties") == .bool(false))
    }

    @Test func authBranchesMatchTheLoader() throws {
        let branches = try authBranches()
        #expect(Set(branches.keys) == Set(ConfigLoader.authTypes))
        #expect(Set(ConfigLoader.authKeys.keys) == Set(ConfigLoader.authTypes))
        for (type, branch) in branches {
            #expect(Set(branch.propertyNames) == Set(ConfigLoader.authKeys[type] ?? []), "auth \(type)")
            #expect(branch.member("additionalProperties") == .bool(false), "auth \(type)")
        }
    }

    @Test func integerRangesMatchTheLoader() throws {
        for (pointer, range) in ConfigLoader.integerRanges.sorted(by: { $0.key < $1.key }) {
            let property = try #require(node(at: pointer), "no schema node for \(pointer)")
            #expect(property.member("type") == .string("integer"), "\(pointer)")
            #expect(property.member("minimum")?.intValue == range.lowerBound, "\(pointer) minimum")
            #expect(property.member("maximum")?.intValue == (range.upperBound == Int.max ? nil : range.upperBound), "\(pointer) maximum")
        }
    }

    static let defaults: [(String, JSONValue)] = [
        ("/server/host", .string(ServerConfig.defaultHost)),
        ("/server/port", .number(Double(ServerConfig.defaultPort))),
        ("/server/max_items", .number(Double(ServerConfig.defaultMaxItems))),
        ("/server/max_body_bytes", .number(Double(ServerConfig.defaultMaxBodyBytes))),
        ("/server/request_timeout_ms", .number(Double(ServerConfig.defaultRequestTimeoutMs))),
        ("/server/default_reason", .string(ServerConfig.defaultReason)),
        ("/server/idempotency_max_entries", .number(Double(ServerConfig.defaultIdempotencyMaxEntries))),
        ("/server/idempotency_max_bytes", .number(Double(ServerConfig.defaultIdempotencyMaxBytes))),
        ("/upstreams/*/mode", .string(CallMode.batch.rawValue)),
        ("/upstreams/*/batch_size", .number(Double(UpstreamConfig.defaultBatchSize))),
        ("/upstreams/*/concurrency", .number(Double(UpstreamConfig.defaultConcurrency))),
        ("/upstreams/*/timeout_ms", .number(Double(UpstreamConfig.defaultTimeoutMs))),
        ("/upstreams/*/retry/max_attempts", .number(Double(RetryConfig.defaultMaxAttempts))),
        ("/upstreams/*/retry/base_delay_ms", .number(Double(RetryConfig.defaultBaseDelayMs))),
        ("/upstreams/*/retry/max_delay_ms", .number(Double(RetryConfig.defaultMaxDelayMs))),
    ]

    @Test func defaultsMatchTheConfigTypes() throws {
        for (pointer, expected) in Self.defaults {
            #expect(try #require(node(at: pointer), "\(pointer)").member("default") == expected, "\(pointer)")
        }
        #expect(node(at: "/upstreams/*/auth")?.member("default") == .object(["type": .string("none")]))
        #expect(schema.member("properties")?.member("upstreams")?.member("propertyNames")?.member("pattern") == .string("^[A-Za-z0-9_.-]{1,64}$"))
        #expect(schema.member("required") == .array([.string("upstreams")]))
    }

    @Test func providersAndModesMatchTheLoader() throws {
        let providers = try #require(node(at: "/upstreams/*/provider")?.member("enum"))
        #expect(providers == .array(ProviderKind.allCases.map { .string($0.rawValue) }))
        #expect(node(at: "/upstreams/*/mode")?.member("enum") == .array([.string("batch"), .string("single")]))
    }

    @Test func everyPropertyHasADescription() throws {
        var missing: [String] = []
        describeCheck(schema, at: "#", missing: &missing)
        #expect(missing.isEmpty, "properties without description: \(missing)")
    }

    /// Every key of the shipped routes.json is declared at the matching place of the schema.
    @Test func shippedRoutesJSONUsesOnlyDeclaredKeys() throws {
        var undeclared: [String] = []
        try checkDeclared(try ConfigFixtures.json("routes.json"), against: schema, at: "", undeclared: &undeclared)
        #expect(undeclared.isEmpty, "undeclared in routes.schema.json: \(undeclared)")
    }

    // MARK: Walking the schema

    /// Follows a JSON Pointer template (`*` = any name or index) through properties,
    /// additionalProperties and items, resolving local `$ref`s.
    func node(at template: String) -> JSONValue? {
        var current = resolve(schema)
        for token in template.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            guard let node = current else { return nil }
            current = token == "*" ? child(ofAny: node) : node.member("properties")?.member(String(token))
            current = current.flatMap(resolve)
        }
        return current
    }

    func child(ofAny node: JSONValue) -> JSONValue? {
        if case .object? = node.member("additionalProperties") { return node.member("additionalProperties") }
        return node.member("items")
    }

    /// A `$ref`'s target; other keywords beside the `$ref` (description) stay with the use site.
    func resolve(_ node: JSONValue) -> JSONValue? {
        guard case .string(let ref)? = node.member("$ref") else { return node }
        guard ref.hasPrefix("#/") else { return nil }
        var target: JSONValue? = schema
        for token in ref.dropFirst(2).split(separator: "/") { target = target?.member(String(token)) }
        return target.flatMap(resolve)
    }

    func authBranches() throws -> [String: JSONValue] {
        let auth = try #require(node(at: "/upstreams/*/auth"))
        guard case .array(let options)? = auth.member("oneOf") else { throw SchemaShapeError(what: "auth has no oneOf") }
        var branches: [String: JSONValue] = [:]
        for option in options {
            let branch = try #require(resolve(option))
            guard case .string(let type)? = branch.member("properties")?.member("type")?.member("const") else {
                throw SchemaShapeError(what: "an auth branch has no type const")
            }
            branches[type] = branch
        }
        return branches
    }

    func describeCheck(_ node: JSONValue, at location: String, missing: inout [String]) {
        guard case .object(let members) = node else {
            if case .array(let elements) = node {
                for (index, element) in elements.enumerated() { describeCheck(element, at: "\(location)/\(index)", missing: &missing) }
            }
            return
        }
        if case .object(let properties)? = members["properties"] {
            for (name, property) in properties where property.member("description") == nil {
                missing.append("\(location)/properties/\(name)")
            }
        }
        // Conditions (if/then/not) restate properties declared, with descriptions, elsewhere.
        for (key, value) in members where !["if", "then", "else", "not"].contains(key) {
            describeCheck(value, at: "\(location)/\(key)", missing: &missing)
        }
    }

    func checkDeclared(_ value: JSONValue, against schemaNode: JSONValue, at path: String, undeclared: inout [String]) throws {
        let node = try #require(resolve(schemaNode))
        switch value {
        case .object(let members):
            var declaring = node
            if case .string(let type)? = members["type"], node.member("oneOf") != nil {
                declaring = try #require(try authBranches()[type], "no auth branch for \(type)")
            }
            for (key, member) in members {
                let memberPath = JSONPointer.appending(path, key)
                if let property = declaring.member("properties")?.member(key) {
                    try checkDeclared(member, against: property, at: memberPath, undeclared: &undeclared)
                } else if case .object(let any)? = declaring.member("additionalProperties") {
                    try checkDeclared(member, against: .object(any), at: memberPath, undeclared: &undeclared)
                } else {
                    undeclared.append(memberPath)
                }
            }
        case .array(let elements):
            let items = try #require(node.member("items"), "\(path) is an array the schema does not describe")
            for (index, element) in elements.enumerated() {
                try checkDeclared(element, against: items, at: JSONPointer.appending(path, index), undeclared: &undeclared)
            }
        default:
            break
        }
    }
}

struct SchemaShapeError: Error, CustomStringConvertible {
    let what: String
    var description: String { what }
}

extension JSONValue {
    /// An object's member, for tests that walk documents.
    func member(_ key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    var propertyNames: [String] {
        guard case .object(let properties)? = member("properties") else { return [] }
        return Array(properties.keys)
    }
}
