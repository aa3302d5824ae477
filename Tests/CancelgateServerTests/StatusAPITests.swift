import CancelgateWire
import CancelgateCore
import CancelgateFakes
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// `POST /v1/status` against the fakes: what is true of each run now, in the provider's own word
/// and in §7's states; no cancel is ever sent.
@Suite struct StatusAPITests {
    struct Case {
        let id: String
        let upstream: String?
        let state: RunState
        let word: String?
    }

    @Test func aMixOfAllProvidersAndStates() async throws {
        let kubiya = (0..<5).map { _ in TestIDs.uuid() }
        let cases: [Case] = [
            Case(id: kubiya[0], upstream: nil, state: .running, word: "running"),
            Case(id: kubiya[1].uppercased(), upstream: nil, state: .cancelled, word: "cancelled"),
            Case(id: kubiya[2], upstream: nil, state: .ended, word: "completed"),
            Case(id: kubiya[3], upstream: nil, state: .running, word: "waiting_for_input"),
            Case(id: kubiya[4], upstream: nil, state: .notFound, word: nil),
            Case(id: "agent-execution-1", upstream: "kubiya", state: .invalid, word: nil),
            Case(id: "tsk_101", upstream: nil, state: .running, word: "queued"),
            Case(id: "tsk_102", upstream: nil, state: .cancelled, word: "canceled"),
            Case(id: "wr_103", upstream: nil, state: .ended, word: "completed"),
            Case(id: "tsk_104", upstream: nil, state: .ended, word: "timed_out"),
            Case(id: "tsk_105", upstream: nil, state: .notFound, word: nil),
            Case(id: "bex_201", upstream: nil, state: .running, word: "RUNNING"),
            Case(id: "bex_202", upstream: nil, state: .cancelled, word: "CANCELED"),
            Case(id: "bex_203", upstream: nil, state: .ended, word: "FAILED"),
            Case(id: "bex_204", upstream: nil, state: .unknown, word: "ARCHIVED"),
            Case(id: "301", upstream: nil, state: .running, word: "AUTOMATION_EXECUTION_STATE_WAITING"),
            Case(id: "302", upstream: nil, state: .cancelled, word: "AUTOMATION_EXECUTION_STATE_TERMINATE"),
            Case(id: "303", upstream: nil, state: .ended, word: "AUTOMATION_EXECUTION_STATE_DONE"),
            Case(id: "304", upstream: nil, state: .forbidden, word: nil),
            Case(id: "not-c1", upstream: "c1", state: .invalid, word: nil),
            Case(id: "job-42", upstream: nil, state: .unroutable, word: nil),
            Case(id: "tsk_101", upstream: nil, state: .running, word: "queued"),
        ]
        try await GatewayHarness.run(seed: { state in
            for (n, status) in ["running", "cancelled", "completed", "waiting_for_input"].enumerated() {
                await state.seed(.kubiya, id: kubiya[n], status: status)
            }
            for (id, status) in [("tsk_101", "queued"), ("tsk_102", "canceled"), ("wr_103", "completed"), ("tsk_104", "timed_out")] {
                await state.seed(.skyvern, id: id, status: status)
            }
            for (id, status) in [("bex_201", "RUNNING"), ("bex_202", "CANCELED"), ("bex_203", "FAILED"), ("bex_204", "ARCHIVED")] {
                await state.seed(.meibel, id: id, status: status)
            }
            for (id, status) in [("301", "WAITING"), ("302", "TERMINATE"), ("303", "DONE"), ("304", "FORBIDDEN")] {
                await state.seed(.c1, id: id, status: status)
            }
        }) { h in
            let items = cases.map { item in item.upstream.map { #"{"id":"\#(item.id)","upstream":"\#($0)"}"# } ?? #"{"id":"\#(item.id)"}"# }
            let report = try await h.status(#"{"items":[\#(items.joined(separator: ","))]}"#)
            #expect(report.results.count == cases.count)
            #expect(report.results.map(\.index) == Array(cases.indices))
            #expect(report.results.map(\.id) == cases.map(\.id))
            for (item, result) in zip(cases, report.results) {
                #expect(result.state == item.state, "\(item.id): \(result)")
                #expect(result.providerStatus == item.word, "\(item.id): \(result)")
                #expect((result.endedAt != nil) == result.state.isFinal, "\(item.id): \(result)")
                #expect((result.attempts == 0) == [.invalid, .unroutable].contains(item.state), "\(item.id): \(result)")
            }
            #expect(report.summary.total == cases.count)
            #expect(report.summary.states["running"] == 6)
            #expect(report.summary.states["unknown"] == 1)
            for provider in FakeProvider.allCases {
                #expect(await h.cancelCalls(provider).filter { !$0.path.hasSuffix("/token") }.isEmpty, "\(provider) got a cancel")
            }
            let readIDs = Set(await FakeProvider.allCases.asyncFlatMap { await h.fakes.state.calls($0).filter(\.isStatusRead).flatMap(\.ids) })
            #expect(!readIDs.contains("agent-execution-1") && !readIDs.contains("not-c1") && !readIDs.contains("job-42"), "no read for an ID that cannot be valid")
            // A duplicate is one unit: as many reads of it as that unit's attempts (one, unless a
            // read timed out on a loaded machine and was retried), not one per entry.
            let reads = await h.fakes.state.calls(.skyvern).filter { $0.ids == ["tsk_101"] }.count
            let attempts = report.results.filter { $0.id == "tsk_101" }.map(\.attempts)
            #expect(attempts.count == 2 && Set(attempts).count == 1, "both entries answered from one unit: \(attempts)")
            #expect(reads >= 1 && reads == attempts.first, "a duplicate is read once per attempt: \(reads) reads, \(attempts)")
            #expect(await h.fakes.state.status(.kubiya, id: kubiya[0]) == "running", "nothing was changed")
        }
    }

    /// Reads pass the same pipeline as cancels: a 503 is retried, and a fault on every read ends
    /// `unknown` with the cancel tables' code, retryable.
    @Test func readsAreRetriedAndFailuresAreUnknown() async throws {
        try await GatewayHarness.run(seed: { state in
            await state.seed(.meibel, id: "bex_1", status: "RUNNING")
            await state.seed(.skyvern, id: "tsk_1", status: "running")
            await state.addFaultRule(FaultRule(.status(503), times: 1), for: .meibel)
            await state.setFault(.garbage, for: .skyvern)
        }) { h in
            let report = try await h.status(#"{"ids":["bex_1","tsk_1"]}"#)
            #expect(report.results[0].state == .running)
            #expect(report.results[0].attempts == 2)
            #expect(report.results[1].state == .unknown)
            #expect(report.results[1].error?.code == .badResponse)
            #expect(report.results[1].httpStatus == 200)
        }
    }

    @Test func badBodiesAreRefusedWithTheirPointer() async throws {
        try await GatewayHarness.run { h in
            for (body, pointer) in [
                (#"{"ids":["x"],"reason":"r"}"#, "/reason"), (#"{"ids":["x"],"confirm":true}"#, "/confirm"), (#"{"ids":[]}"#, "/ids"),
                (#"{"ids":[3]}"#, "/ids/0"), (#"{"items":[{"id":"x","why":1}]}"#, "/items/0/why"),
            ] {
                let problem = try BadInputTests.problem(try await h.post(body, path: "/v1/status"), status: 422)
                #expect(problem.errors.map(\.pointer) == [pointer], "\(body)")
            }
            _ = try BadInputTests.problem(try await h.post("{", path: "/v1/status"), status: 400)
            _ = try BadInputTests.problem(try await h.post("{}", path: "/v1/status", contentType: "text/plain"), status: 415)
        }
    }

    /// A caller reads only on the upstreams it may use; the others are `forbidden`, never read.
    @Test func callersAreScopedAsForCancels() async throws {
        var settings = GatewayHarness.Settings()
        settings.clients = [(name: "ci", token: "tok-ci-0123456789", upstreams: ["meibel"])]
        try await GatewayHarness.run(settings, seed: { await $0.seed(.meibel, id: "bex_1", status: "RUNNING") }) { h in
            let auth: HTTPFields = [.authorization: "Bearer tok-ci-0123456789"]
            let report = try await h.status(#"{"ids":["bex_1","tsk_1"]}"#, headers: auth)
            #expect(report.results.map(\.state) == [.running, .forbidden])
            #expect(await h.fakes.state.calls(.skyvern).isEmpty)
            _ = try BadInputTests.problem(try await h.post(#"{"ids":["bex_1"]}"#, path: "/v1/status"), status: 401)
        }
    }
}

extension Sequence {
    func asyncFlatMap<T>(_ transform: (Element) async -> [T]) async -> [T] {
        var result: [T] = []
        for element in self { result += await transform(element) }
        return result
    }
}
