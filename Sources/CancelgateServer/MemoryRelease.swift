internal import Synchronization

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
    private static let running = Atomic<Bool>(false)

    static func afterLargeRequest() {
        #if canImport(Glibc)
        guard running.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        defer { running.store(false, ordering: .releasing) }
        _ = mallocTrim(0)
        #endif
    }
}
