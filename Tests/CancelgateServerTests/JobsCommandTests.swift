import CancelgateClient
import CancelgateWire
import CurlClient
import Foundation
import HummingbirdTesting
import Logging
import Testing

/// `cancelgate cancel --async` and `cancelgate jobs`' library against a live gateway on SQLite:
/// one submission per list (a re-run answers the same job), following to the end, paging.
@Suite(.timeLimit(.minutes(2)))
struct JobsCommandTests {
    static func client(_ h: GatewayHarness, _ http: CurlClient) throws -> GatewayClient {
        try GatewayClient(
            server: "http://127.0.0.1:\(try #require(h.gateway.port))", token: nil, http: http, timeout: .seconds(30),
            logger: Logger(label: "jobs.test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test func aSubmittedListIsFollowedToItsEndAndARerunAnswersTheSameJob() async throws {
        let ids = (0..<250).map { "tsk_\(60_000 + $0)" } + ["job-nowhere"]
        try await JobsAPITests.run(maxItems: 100) { h in
            let http = try CurlClient()
            defer { http.shutdown() }
            let client = try Self.client(h, http)
            let (job, replayed) = try await client.submitJob(ids, upstream: nil, reason: "rollback", ratePerSecond: nil)
            #expect(!replayed && job.total == ids.count && job.reason == "rollback")
            let status = try await JobFollower(client: client, quiet: true, interval: .milliseconds(20)).follow(job.jobID)
            #expect(status == 1, "one unroutable item: not every item succeeded")
            let again = try await client.submitJob(ids, upstream: nil, reason: "rollback", ratePerSecond: nil)
            #expect(again.replayed && again.job.jobID == job.jobID, "the same command again answers the same job")
            let other = try await client.submitJob(ids, upstream: nil, reason: "another reason", ratePerSecond: nil)
            #expect(!other.replayed && other.job.jobID != job.jobID, "another reason is another job, not a 422")

            var results: [ItemResult] = []
            var cursor: String?
            repeat {
                let page = try await client.jobResults(job.jobID, outcome: nil, cursor: cursor, limit: 100)
                results += page.results
                cursor = page.next_cursor
            } while cursor != nil
            #expect(results.map(\.id) == ids)
            #expect(results.last?.outcome == .unroutable)
            #expect(try await client.jobResults(job.jobID, outcome: "unroutable", cursor: nil).results.map(\.id) == ["job-nowhere"])
            let listed = try await client.jobs(state: nil, max: 10).map(\.jobID)
            #expect(Set(listed) == [job.jobID, other.job.jobID])
            #expect(try await client.job("no-such-job") == nil)
            #expect(try await client.cancelJob("no-such-job") == nil)
            let finished = try #require(try await client.job(job.jobID))
            #expect(JobRendering.describe(finished).contains("completed, 251/251 items (cancelled 250, unroutable 1)"))
        }
    }

    @Test func theProgressLineShowsDoneTotalOutcomesAndRate() {
        let job = Job(
            jobID: "j", state: .running, caller: nil, reason: "r", ratePerSecond: nil, createdAtMs: 0, total: 1000, done: 500,
            summary: Summary(total: 500, succeeded: 490, failed: 10, outcomes: ["cancelled": 490, "failed": 10]))
        let line = JobRendering.progress(job, rate: 123.4, width: 10)
        #expect(line == "[█████░░░░░] 500/1000 items · cancelled 490, failed 10 · 123 items/s · running")
    }
}
