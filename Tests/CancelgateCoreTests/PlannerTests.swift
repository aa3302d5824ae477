import CancelgateWire
@testable import CurlClient
import Testing

@testable import CancelgateCore

@Suite struct PlannerTests {
    static let config = RoutesConfig(
        upstreams: [
            UpstreamConfig(name: "kubiya", provider: .kubiya, baseURL: "http://k", batchSize: 3),
            UpstreamConfig(name: "skyvern", provider: .skyvern, baseURL: "http://s"),
            UpstreamConfig(name: "c1", provider: .c1, baseURL: "http://c"),
        ],
        routes: [
            RouteRule(match: .prefix("tsk_"), upstream: "skyvern"),
            RouteRule(match: .regex(IDPattern("^[0-9]{1,19}$")!), upstream: "c1"),
            RouteRule(match: .regex(IDPattern("^[0-9a-fA-F-]{36}$")!), upstream: "kubiya"),
            RouteRule(match: .prefix("tsk_9"), upstream: "c1"),  // never reached: first match wins
        ])

    func plan(_ entries: [CancelEntry], upstream: String? = nil, allowed: Set<String>? = nil) -> Plan {
        Planner(config: Self.config).plan(
            CancelRequest(requestID: "r", reason: "x", defaultUpstream: upstream, entries: entries, allowedUpstreams: allowed))
    }

    @Test func routingOrderNamedThenDefaultThenRoutes() {
        let plan = plan(
            [CancelEntry(id: "tsk_9", upstream: nil), CancelEntry(id: "42", upstream: "skyvern"), CancelEntry(id: "zzz"), CancelEntry(id: "1", upstream: "nope")],
            upstream: nil)
        #expect(plan.entries.map(\.upstream) == ["skyvern", "skyvern", nil, "nope"])
        let withDefault = self.plan([CancelEntry(id: "tsk_1"), CancelEntry(id: "7", upstream: "c1")], upstream: "skyvern")
        #expect(withDefault.entries.map(\.upstream) == ["skyvern", "c1"])
    }

    @Test func duplicatesAreSentOnceAndChunksRespectBatchSize() {
        let ids = (0..<7).map { "00000000-0000-4000-8000-00000000000\($0)" }
        let entries = (ids + [ids[0], ids[1].uppercased()]).map { CancelEntry(id: $0) }
        let plan = plan(entries)
        let kubiya = try! #require(plan.work.first { $0.upstream.name == "kubiya" })
        #expect(kubiya.chunks.map(\.count) == [3, 3, 1])
        #expect(kubiya.chunks.joined().map(\.id) == ids)
        #expect(plan.entries.count == 9)
    }

    @Test func batchSizeNeverExceedsProviderLimit() {
        var upstream = UpstreamConfig(name: "skyvern", provider: .skyvern, baseURL: "http://s")
        upstream.batchSize = 500
        #expect(Adapters.adapter(for: upstream).chunkSize(upstream) == 100)
    }

    @Test func allowListForbidsWithoutSending() {
        let plan = plan([CancelEntry(id: "tsk_1"), CancelEntry(id: "5")], allowed: ["skyvern"])
        #expect(plan.work.map(\.upstream.name) == ["skyvern"])
        guard case .decided(let resolution) = plan.entries[1].disposition else {
            Issue.record("expected a local decision")
            return
        }
        #expect(resolution.outcome == .forbidden)
    }

    @Test func summaryCounts() {
        let results = [Outcome.cancelled, .cancelRequested, .alreadyTerminal, .notFound, .failed, .invalid].enumerated().map {
            ItemResult(index: $0, id: "\($0)", upstream: nil, provider: nil, outcome: $1, retryable: false, attempts: 1)
        }
        let summary = ReportBuilder.summarize(results)
        #expect(summary.total == 6)
        #expect(summary.succeeded == 2)
        #expect(summary.failed == 3)
        #expect(summary.outcomes["already_terminal"] == 1)
    }

    struct NoCalls: HTTPTransport {
        func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
            Issue.record("jobEntries made a call")
            throw CurlError(kind: .other, call: "transfer", message: "no calls")
        }
    }

    /// A job's stored entries (CONTRACT §6): each (upstream, run) sent once, later spellings point
    /// at the first; entries decided without a call point nowhere; the named upstream is kept.
    /// Checked against `plan`, which `/v1/cancel` sends from.
    @Test func jobEntriesPointDuplicatesAtTheFirstAsThePlanSendsThem() {
        let kubiya = (0..<4).map { "00000000-0000-4000-8000-00000000000\($0)" }
        let entries = [
            CancelEntry(id: kubiya[0]), CancelEntry(id: "tsk_1"), CancelEntry(id: kubiya[0].uppercased()), CancelEntry(id: "nope"),
            CancelEntry(id: "tsk_1"), CancelEntry(id: "7", upstream: "c1"), CancelEntry(id: "7", upstream: "skyvern"), CancelEntry(id: "7"),
            CancelEntry(id: "not-a-uuid", upstream: "kubiya"), CancelEntry(id: kubiya[1]), CancelEntry(id: "12", upstream: "missing"),
            CancelEntry(id: kubiya[1]),
        ]
        let request = CancelRequest(requestID: "r", reason: "x", defaultUpstream: nil, entries: entries, allowedUpstreams: nil)
        let service = CancelService(config: Self.config, transport: NoCalls())
        let jobEntries = service.jobEntries(request)
        #expect(jobEntries.map(\.index) == Array(0..<12))
        #expect(jobEntries.map(\.id) == entries.map(\.id))
        #expect(jobEntries.map(\.upstream) == entries.map(\.upstream))
        #expect(jobEntries.map(\.firstIndex) == [nil, nil, 0, nil, 1, nil, nil, 5, nil, nil, nil, 9])
        // The first occurrences are exactly the units the plan sends, in the same order per upstream.
        let plan = Planner(config: Self.config).plan(request)
        let sent = Set(plan.work.flatMap { $0.chunks.joined().map(\.id) })
        let firsts = jobEntries.filter { entry in
            guard entry.firstIndex == nil, case .send = plan.entries[entry.index].disposition else { return false }
            return true
        }
        #expect(Set(firsts.map(\.id)) == sent)
        #expect(firsts.count == plan.work.map { $0.chunks.joined().count }.reduce(0, +))
    }
}
