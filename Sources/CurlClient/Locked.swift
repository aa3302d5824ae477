import Foundation

/// A value behind an `NSLock`. Not `Synchronization.Mutex`: on Linux (Swift 6.3.1) that is a
/// futex ThreadSanitizer cannot see, and `--sanitize=thread` reported every access through it as
/// a race; `NSLock` is a pthread mutex, which the sanitizer intercepts.
// unchecked Sendable: `value` is read and written only inside `withLock`, while holding `lock`.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
