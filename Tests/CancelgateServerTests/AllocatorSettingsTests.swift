import CancelgateServer
import Testing

/// `cancelgate serve` fixes glibc's mmap threshold and caps its arenas (AllocatorSettings), unless
/// the operator set the same parameter through glibc's own environment variables: theirs wins.
@Suite struct AllocatorSettingsTests {
    typealias Setting = AllocatorSettings.Setting
    static let threshold = Setting(parameter: AllocatorSettings.mmapThreshold, value: 128 * 1024)

    @Test func withNothingSetBothAreSetAndArenasFollowTheCores() {
        #expect(AllocatorSettings.settings(environment: [:], cores: 2) == [Self.threshold, Setting(parameter: AllocatorSettings.arenaMax, value: 4)])
        #expect(AllocatorSettings.settings(environment: ["PATH": "/bin"], cores: 16).last == Setting(parameter: AllocatorSettings.arenaMax, value: 32))
        #expect(AllocatorSettings.settings(environment: [:], cores: 0).last == Setting(parameter: AllocatorSettings.arenaMax, value: 2))
    }

    @Test func anOperatorsMallocVariableWins() {
        #expect(AllocatorSettings.settings(environment: ["MALLOC_ARENA_MAX": "1"], cores: 2) == [Self.threshold])
        #expect(
            AllocatorSettings.settings(environment: ["MALLOC_MMAP_THRESHOLD_": "65536"], cores: 2)
                == [Setting(parameter: AllocatorSettings.arenaMax, value: 4)])
        #expect(AllocatorSettings.settings(environment: ["MALLOC_ARENA_MAX": "8", "MALLOC_MMAP_THRESHOLD_": "1"], cores: 2).isEmpty)
    }

    @Test func anOperatorsGlibcTunableWins() {
        let tunables = "glibc.malloc.arena_max=8:glibc.malloc.trim_threshold=0"
        #expect(AllocatorSettings.settings(environment: ["GLIBC_TUNABLES": tunables], cores: 2) == [Self.threshold])
        #expect(
            AllocatorSettings.settings(environment: ["GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=262144"], cores: 2)
                == [Setting(parameter: AllocatorSettings.arenaMax, value: 4)])
    }

    @Test func applyingSetsWhatItChose() {
        // apply reports what glibc's mallopt accepted: a wrong parameter number would be refused.
        let applied = AllocatorSettings.apply(environment: ["MALLOC_ARENA_MAX": "64"], cores: 2)
        #if canImport(Glibc)
        #expect(applied == [Self.threshold])
        #else
        #expect(applied.isEmpty)
        #endif
    }
}
