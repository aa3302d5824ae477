internal import Foundation

/// Runs `operation` in a task of its own and waits for it at most `timeout`: a store that does
/// not answer (a partitioned database) must not hold a cancel's answer. With `cancelOnTimeout`
/// false the operation goes on after the wait ends (a write that was only slow still lands; store
/// writes are idempotent, so its retry changes nothing).
public enum BoundedWait {
    public struct TimedOut: Error {}

    public static func run<T: Sendable>(
        _ timeout: Duration, cancelOnTimeout: Bool = true, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let gate = Gate<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                gate.set(continuation)
                let work = Task {
                    do { gate.resume(.success(try await operation())) } catch { gate.resume(.failure(error)) }
                }
                gate.setTimer(
                    Task {
                        // PromptSleep: a sleep cancelled when the operation answers lets go of its timer.
                        try? await PromptSleep.sleep(until: .now + timeout)
                        guard !Task.isCancelled else { return }
                        if gate.resume(.failure(TimedOut())), cancelOnTimeout { work.cancel() }
                    })
            }
        } onCancel: {
            gate.resume(.failure(CancellationError()))
        }
    }

    /// Resumes its continuation once, whoever comes first.
    private final class Gate<T: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var continuation: CheckedContinuation<T, any Error>?
        private var early: Result<T, any Error>?
        private var done = false
        private var timer: Task<Void, Never>?

        func setTimer(_ task: Task<Void, Never>) {
            lock.lock()
            let finished = done
            if !finished { timer = task }
            lock.unlock()
            if finished { task.cancel() }
        }

        func set(_ continuation: CheckedContinuation<T, any Error>) {
            lock.lock()
            if let early {
                lock.unlock()
                continuation.resume(with: early)
                return
            }
            self.continuation = continuation
            lock.unlock()
        }

        /// True when this call resumed it.
        @discardableResult
        func resume(_ result: Result<T, any Error>) -> Bool {
            lock.lock()
            guard !done else {
                lock.unlock()
                return false
            }
            done = true
            let timer = self.timer
            self.timer = nil
            defer { timer?.cancel() }
            guard let continuation else {
                early = result
                lock.unlock()
                return true
            }
            self.continuation = nil
            lock.unlock()
            continuation.resume(with: result)
            return true
        }
    }
}

/// A store error as one line for logs and start-up messages. PostgreSQL's errors print only a
/// generic sentence by design; their reflection carries the server's message and the statement
/// with its values masked (`****`), never the connection's password, which the configuration
/// keeps in a `Secret`.
public enum StoreErrorText {
    public static let maxLength = 600

    public static func describe(_ error: any Error) -> String {
        if error is BoundedWait.TimedOut { return "no answer in time" }
        let text = String(reflecting: error).replacingOccurrences(of: "\n", with: " ")
        return text.count <= maxLength ? text : String(text.prefix(maxLength - 1)) + "…"
    }
}
