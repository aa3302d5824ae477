internal import Foundation
public import Logging
internal import CurlClient

/// The text log format (`--log-format text`, the default): the line swift-log's
/// `StreamLogHandler` writes, `2026-12-04T04:10:00+0000 info cancelgate: key=value … [Module]
/// message`, metadata sorted by key. Written by a handler of our own because StreamLogHandler
/// formats its whole metadata again each time one key is set (once per request, and again per
/// upstream call), and its timestamp each line; here metadata is formatted only when a line is
/// written and the timestamp once a second. TextLogHandlerTests compare the lines with
/// StreamLogHandler's.
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// - Parameter write: receives each line, newline included (tests capture it; the default
    ///   writes to standard error).
    public init(
        label: String, metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider,
        write: @escaping @Sendable (String) -> Void = TextLogHandler.standardError
    ) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // The base metadata, then the provider's and the event's, later keys replacing earlier.
        var entries = metadata.map { (key: $0.key, value: $0.value) }
        func add(_ more: Logger.Metadata) {
            for (key, value) in more {
                if let at = entries.firstIndex(where: { $0.key == key }) { entries[at].value = value } else { entries.append((key, value)) }
            }
        }
        if let provided = metadataProvider?.get(), !provided.isEmpty { add(provided) }
        if let own = event.metadata, !own.isEmpty { add(own) }
        if let error = event.error {
            add(["error.message": "\(error)", "error.type": "\(String(reflecting: type(of: error)))"])
        }
        entries.sort { $0.key < $1.key }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(contentsOf: Self.timestamp().utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: event.level.rawValue.utf8)
        if !label.isEmpty {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: label.utf8)
        }
        line.append(UInt8(ascii: ":"))
        for (key, value) in entries {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            if case .string(let text) = value { line.append(contentsOf: text.utf8) } else { line.append(contentsOf: value.description.utf8) }
        }
        line.append(contentsOf: " [".utf8)
        line.append(contentsOf: event.source.utf8)
        line.append(contentsOf: "] ".utf8)
        line.append(contentsOf: event.message.description.utf8)
        line.append(UInt8(ascii: "\n"))
        write(String(decoding: line, as: UTF8.self))
    }

    private struct Stamp {
        var second: time_t = -1
        var text = ""
    }

    private static let stamp = Locked(Stamp())

    /// Local time to the second with its offset (`%Y-%m-%dT%H:%M:%S%z`, StreamLogHandler's),
    /// formatted once per second.
    static func timestamp() -> String {
        let now = time(nil)
        return stamp.withLock { stamp in
            if stamp.second != now {
                var local = tm()
                var seconds = now
                var buffer = [CChar](repeating: 0, count: 64)
                if localtime_r(&seconds, &local) == nil {
                    stamp.text = "<unknown>"
                } else {
                    strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
                    stamp.text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                }
                stamp.second = now
            }
            return stamp.text
        }
    }

    private static let writing = NSLock()

    /// Each line in `write(2)` calls to standard error under one lock, so lines from concurrent
    /// requests never interleave (stderr is unbuffered: StreamLogHandler's stream flushes each line).
    public static let standardError: @Sendable (String) -> Void = { line in
        var line = line
        line.withUTF8 { bytes in
            writing.withLock {
                var offset = 0
                while offset < bytes.count {
                    let written = Foundation.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0 && errno == EINTR {
                        continue
                    } else {
                        return  // a closed or broken stderr: the line is dropped, as fwrite would
                    }
                }
            }
        }
    }
}
