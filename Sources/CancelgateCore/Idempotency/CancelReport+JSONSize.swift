public import CancelgateWire

/// The size of a report as compact JSON, counted from its fields without encoding it: exact for
/// text that needs no escaping (IDs, codes, the gateway's own messages), a little low otherwise.
/// The in-memory idempotency store bounds its memory by this (`server.idempotency_max_bytes`)
/// and must not pay for a second encoding of every report it keeps.
extension CancelReport {
    public var jsonSize: Int {
        var members = [
            JSONSize.member("request_id", JSONSize.string(requestID)), JSONSize.member("dry_run", JSONSize.bool(dryRun)),
            JSONSize.member("summary", summary.jsonSize), JSONSize.member("results", JSONSize.array(results.lazy.map(\.jsonSize))),
        ]
        if let plan { members.append(JSONSize.member("plan", JSONSize.array(plan.lazy.map(\.jsonSize)))) }
        return JSONSize.object(members)
    }
}

extension Summary {
    var jsonSize: Int {
        let outcomes = JSONSize.object(self.outcomes.map { JSONSize.member($0.key, JSONSize.int($0.value)) })
        return JSONSize.object([
            JSONSize.member("total", JSONSize.int(total)), JSONSize.member("succeeded", JSONSize.int(succeeded)),
            JSONSize.member("failed", JSONSize.int(failed)), JSONSize.member("outcomes", outcomes),
        ])
    }
}

extension ItemResult {
    var jsonSize: Int {
        var members = [
            JSONSize.member("index", JSONSize.int(index)), JSONSize.member("id", JSONSize.string(id)),
            JSONSize.member("outcome", JSONSize.string(outcome.rawValue)), JSONSize.member("retryable", JSONSize.bool(retryable)),
            JSONSize.member("attempts", JSONSize.int(attempts)),
        ]
        if let upstream { members.append(JSONSize.member("upstream", JSONSize.string(upstream))) }
        if let provider { members.append(JSONSize.member("provider", JSONSize.string(provider))) }
        if let cancelledAt { members.append(JSONSize.member("cancelled_at", JSONSize.string(cancelledAt))) }
        if let httpStatus { members.append(JSONSize.member("http_status", JSONSize.int(httpStatus))) }
        if let error {
            let object = JSONSize.object([
                JSONSize.member("code", JSONSize.string(error.code.rawValue)), JSONSize.member("message", JSONSize.string(error.message)),
            ])
            members.append(JSONSize.member("error", object))
        }
        return JSONSize.object(members)
    }
}

extension PlannedCall {
    var jsonSize: Int {
        JSONSize.object([
            JSONSize.member("upstream", JSONSize.string(upstream)), JSONSize.member("provider", JSONSize.string(provider)),
            JSONSize.member("method", JSONSize.string(method)), JSONSize.member("path", JSONSize.string(path)),
            JSONSize.member("ids", JSONSize.array(ids.lazy.map(JSONSize.string))),
        ])
    }
}

/// Byte counts of compact JSON's pieces.
enum JSONSize {
    static func string(_ text: String) -> Int { text.utf8.count + 2 }
    static func int(_ value: Int) -> Int { String(value).utf8.count }
    static func bool(_ value: Bool) -> Int { value ? 4 : 5 }
    /// `"key":value`
    static func member(_ key: String, _ value: Int) -> Int { string(key) + 1 + value }
    /// `{a,b}`, given the members' sizes.
    static func object(_ members: [Int]) -> Int { 2 + members.reduce(0, +) + max(members.count - 1, 0) }
    /// `[a,b]`, given the elements' sizes.
    static func array(_ elements: some Collection<Int>) -> Int { 2 + elements.reduce(0, +) + max(elements.count - 1, 0) }
}
