public import Foundation

/// A new random (version 4) UUID as lower-case text, what `UUID().uuidString.lowercased()`
/// gave, without its cost on every request: Foundation on Linux opens, reads and closes
/// /dev/urandom for each UUID and formats it through `snprintf`. Here the random bytes come from
/// the system's generator (`arc4random_buf`, getrandom(2) underneath) 4 KiB at a time, so one
/// system call serves 256 UUIDs.
public enum LowercaseUUID {
    public static func make() -> String {
        text(UUID(uuid: stamped(random(), version: 4)))
    }

    /// A new time-ordered (version 7) UUID: its first 48 bits are `ms`, the Unix time in
    /// milliseconds, the rest random (RFC 9562 §5.7). IDs of later times sort after earlier ones,
    /// as bytes and as this text, so a store's indexes on record IDs grow at their right edge
    /// instead of at a random page each: a SQLite commit of 20 requests' records wrote about a
    /// page per index per record with version 4 IDs.
    public static func makeTimeOrdered(ms: Int64) -> String {
        var bytes = random()
        let time = UInt64(max(ms, 0))
        bytes.0 = UInt8(truncatingIfNeeded: time >> 40)
        bytes.1 = UInt8(truncatingIfNeeded: time >> 32)
        bytes.2 = UInt8(truncatingIfNeeded: time >> 24)
        bytes.3 = UInt8(truncatingIfNeeded: time >> 16)
        bytes.4 = UInt8(truncatingIfNeeded: time >> 8)
        bytes.5 = UInt8(truncatingIfNeeded: time)
        return text(UUID(uuid: stamped(bytes, version: 7)))
    }

    /// 16 bytes from the pool.
    private static func random() -> uuid_t {
        poolLock.lock()
        defer { poolLock.unlock() }
        return pool.take16()
    }

    /// RFC 9562 §4.1-4.2: the version in the high nibble of byte 6, variant 10 in byte 8's top bits.
    private static func stamped(_ uuid: uuid_t, version: UInt8) -> uuid_t {
        var bytes = uuid
        bytes.6 = (bytes.6 & 0x0F) | (version << 4)
        bytes.8 = (bytes.8 & 0x3F) | 0x80
        return bytes
    }

    /// `uuid` as 8-4-4-4-12 lower-case hex digits.
    public static func text(_ uuid: UUID) -> String {
        let hex = Array("0123456789abcdef".utf8)
        return withUnsafeBytes(of: uuid.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var index = 0
                for (position, byte) in bytes.enumerated() {
                    if position == 4 || position == 6 || position == 8 || position == 10 {
                        out[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    out[index] = hex[Int(byte >> 4)]
                    out[index + 1] = hex[Int(byte & 0x0F)]
                    index += 2
                }
                return index
            }
        }
    }

    private struct Pool {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var next = 4096

        mutating func take16() -> uuid_t {
            if next + 16 > bytes.count {
                bytes.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
                next = 0
            }
            var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &uuid) { $0.copyBytes(from: bytes[next..<next + 16]) }
            next += 16
            return uuid
        }
    }

    // NSLock, not Synchronization.Mutex: the thread sanitizer cannot see Mutex's futex on Linux
    // and reports every access through it (see CurlClient's Locked).
    private static let poolLock = NSLock()
    nonisolated(unsafe) private static var pool = Pool()
}
