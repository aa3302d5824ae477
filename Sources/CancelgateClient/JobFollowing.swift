public import CancelgateWire
internal import Dispatch
#if canImport(Glibc)
internal import Glibc
#endif
internal import Foundation

/// Polls a job until it ends, drawing `[██░░] done/total items, outcomes, rate` on standard error
/// when it is a terminal. Ctrl-C stops following (the job goes on) and says how to follow again.
public struct JobFollower: Sendable {
    let client: GatewayClient
    let quiet: Bool
    var interval: Duration

    public init(client: GatewayClient, quiet: Bool, interval: Duration = .milliseconds(500)) {
        self.client = client
        self.quiet = quiet
        self.interval = interval
    }

    /// The exit status: 0 all succeeded, 1 not, 130 interrupted; a job not found is 1.
    public func follow(_ id: String) async throws(CancelCommandError) -> Int32 {
        let draw = !quiet && isatty(STDERR_FILENO) != 0
        let interrupted = InterruptFlag()
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { interrupted.set() }
        source.resume()
        defer {
            source.cancel()
            signal(SIGINT, SIG_DFL)
        }
        var last: (done: Int, at: ContinuousClock.Instant)?
        var rate = 0.0
        while true {
            guard let job = try await client.job(id) else {
                FileHandle.standardError.write(Data("cancelgate: no job \(id) is visible to you\n".utf8))
                return 1
            }
            let now = ContinuousClock.now
            if let last, now > last.at {
                let seconds = Double((now - last.at).components.seconds) + Double((now - last.at).components.attoseconds) / 1e18
                if seconds > 0 { rate = Double(job.done - last.done) / seconds }
            }
            last = (job.done, now)
            if draw { FileHandle.standardError.write(Data(("\r" + JobRendering.progress(job, rate: rate) + "\u{1B}[K").utf8)) }
            if job.state.isFinished {
                if draw { FileHandle.standardError.write(Data("\n".utf8)) }
                print(JobRendering.describe(job))
                return job.state == .completed && job.summary.failed == 0 ? 0 : 1
            }
            if interrupted.isSet {
                if draw { FileHandle.standardError.write(Data("\n".utf8)) }
                FileHandle.standardError.write(
                    Data("stopped following; job \(id) goes on. Follow it again: cancelgate jobs follow \(id)   Stop it: cancelgate jobs cancel \(id)\n".utf8))
                return 130
            }
            // Short sleeps, so Ctrl-C is noticed at once.
            let wake = ContinuousClock.now + interval
            while ContinuousClock.now < wake && !interrupted.isSet { try? await Task.sleep(for: .milliseconds(50)) }
        }
    }
}

/// Set from a signal handler's queue, read by the follower.
final class InterruptFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Jobs for people and for programs.
public enum JobRendering {
    public static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    public static func table(_ jobs: [Job]) -> String {
        guard !jobs.isEmpty else { return "no jobs" }
        let rows = jobs.map { job in
            [job.jobID, job.state.rawValue, "\(job.done)/\(job.total)", RecordTime.format(job.createdAtMs), job.caller ?? "-", ReportTable.truncate(job.reason, 40)]
        }
        return ReportTable.grid(header: ["job", "state", "done", "created", "caller", "reason"], rows: rows)
    }

    /// `job 1f…: completed, 1000/1000 items (cancelled 990, failed 10); created …, finished …`.
    public static func describe(_ job: Job) -> String {
        var text = "job \(job.jobID): \(job.state.rawValue), \(job.done)/\(job.total) items"
        if job.summary.total > 0 { text += " (\(ReportTable.counts(job.summary)))" }
        text += "; created \(RecordTime.format(job.createdAtMs))"
        if let started = job.startedAtMs { text += ", started \(RecordTime.format(started))" }
        if let finished = job.finishedAtMs { text += ", finished \(RecordTime.format(finished))" }
        if let rate = job.ratePerSecond { text += "; rate_per_second \(rate)" }
        return text
    }

    /// `[██████░░░░] 4200/10000 items · cancelled 4100, failed 100 · 830 items/s`.
    public static func progress(_ job: Job, rate: Double, width: Int = 24) -> String {
        let fraction = job.total == 0 ? 1 : Double(job.done) / Double(job.total)
        let filled = min(width, Int((fraction * Double(width)).rounded(.down)))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let outcomes = job.summary.total > 0 ? " · " + ReportTable.counts(job.summary) : ""
        return "[\(bar)] \(job.done)/\(job.total) items\(outcomes) · \(Int(rate.rounded())) items/s · \(job.state.rawValue)"
    }
}
