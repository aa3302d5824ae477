import Foundation

/// A value behind an `NSLock`. Not `Synchronization.Mutex`: on Linux (Swift 6.3.1) that is a
/// futex ThreadSanitizer cannot see, and `--sanitize=thread` reported every access through it as
/// a race; `NSLock` is a pthread mutex, which the sanitizer intercepts.
// unchecked Sendable: `value` is read and written only inside `withLock`, while holding `lock`.
// `package`: the gateway's other modules use it too (CancelgateCore, CancelgateServer).
package final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) {
        self.value = value
    }

    package func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
