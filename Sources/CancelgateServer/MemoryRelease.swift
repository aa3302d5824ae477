internal import Foundation

#if canImport(Glibc)
/// `int malloc_trim(size_t pad)` from <malloc.h>, which the Glibc module does not export.
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32
#endif

/// glibc keeps freed memory in its arenas and gives the top of the heap back only past a
/// threshold, so after a 10,000-ID request a gateway stayed 10-20 MiB larger than before it and
/// each later long request started from there. `malloc_trim` returns the free pages to the
/// system; it walks every arena, so it runs after long requests only, and one at a time.
enum MemoryRelease {
    /// Held while a trim runs (an NSLock: the thread sanitizer sees it, see CurlClient's Locked).
    private static let running = NSLock()

    static func afterLargeRequest() {
        #if canImport(Glibc)
        guard running.try() else { return }
        defer { running.unlock() }
        _ = mallocTrim(0)
        #endif
    }
}
