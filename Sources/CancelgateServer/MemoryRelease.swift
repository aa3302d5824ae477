internal import Foundation

#if canImport(Glibc)
/// `int malloc_trim(size_t pad)` from <malloc.h>, which the Glibc module does not export.
@_silgen_name("malloc_trim")
private func mallocTrim(_ pad: Int) -> Int32

/// `int mallopt(int param, int value)` from <malloc.h>, likewise.
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
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

/// How `cancelgate serve` sets glibc's allocator up, before its threads start.
///
/// - A fixed mmap threshold of 128 KiB (`M_MMAP_THRESHOLD`). glibc's own threshold slides: once a
///   large block (a 10,000-result array, a report's bytes) is freed, every later block up to that
///   size comes from the heap instead of its own mapping, and stays there as fragmentation. With
///   it fixed, a long request's large buffers go back to the system when freed.
/// - At most two arenas per core (`M_ARENA_MAX`; glibc's default is eight), so the few threads
///   a gateway runs (NIO's event loops, Swift's pool, curl's driver) do not each keep a heap of
///   their own.
/// Measured with `Benchmarks/run --only fanout` (2 cores): peak RSS during the 10,000-ID fan-out
/// 70.5 → 62.7 MiB, wall and CPU unchanged within noise. An operator's `MALLOC_MMAP_THRESHOLD_`,
/// `MALLOC_ARENA_MAX` or `GLIBC_TUNABLES` setting of the same parameter wins: it is left alone.
public enum AllocatorSettings {
    public struct Setting: Equatable, Sendable {
        /// The `<malloc.h>` parameter: `M_MMAP_THRESHOLD` (-3) or `M_ARENA_MAX` (-8).
        public let parameter: Int32
        public let value: Int32

        public init(parameter: Int32, value: Int32) {
            self.parameter = parameter
            self.value = value
        }
    }

    public static let mmapThreshold: Int32 = -3
    public static let arenaMax: Int32 = -8
    public static let mmapThresholdBytes: Int32 = 128 * 1024

    /// What `apply` sets for this environment and core count.
    public static func settings(environment: [String: String], cores: Int) -> [Setting] {
        let tunables = environment["GLIBC_TUNABLES"] ?? ""
        var settings: [Setting] = []
        if environment["MALLOC_MMAP_THRESHOLD_"] == nil, !tunables.contains("glibc.malloc.mmap_threshold") {
            settings.append(Setting(parameter: mmapThreshold, value: mmapThresholdBytes))
        }
        if environment["MALLOC_ARENA_MAX"] == nil, !tunables.contains("glibc.malloc.arena_max") {
            settings.append(Setting(parameter: arenaMax, value: Int32(clamping: 2 * max(1, cores))))
        }
        return settings
    }

    /// Sets them (glibc only; elsewhere nothing) for this process's environment and cores unless
    /// given. Returns those glibc accepted (`mallopt` 1).
    @discardableResult
    public static func apply(environment: [String: String]? = nil, cores: Int? = nil) -> [Setting] {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let cores = cores ?? ProcessInfo.processInfo.activeProcessorCount
        #if canImport(Glibc)
        return settings(environment: environment, cores: cores).filter { mallopt($0.parameter, $0.value) == 1 }
        #else
        return []
        #endif
    }
}
