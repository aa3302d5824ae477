public import Foundation

/// A new random (version 4) UUID as lower-case text, `UUID().uuidString.lowercased()` without
/// the formatting through `snprintf` and the second string (request and record IDs, one or two
/// per request).
public enum LowercaseUUID {
    public static func make() -> String {
        text(UUID())
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
}
