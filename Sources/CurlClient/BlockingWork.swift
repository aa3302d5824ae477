internal import Foundation

/// Work that blocks its thread (a wait for another thread, a read from a file that may be on a
/// stuck volume), run on a thread of its own so that it never holds one of Swift's few
/// cooperative threads: the async caller suspends until it is done. For rare calls only
/// (shutdown, reload): each call starts a thread.
public enum BlockingWork {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}
