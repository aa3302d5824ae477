public import Foundation

/// The IDs to cancel, one per input line, in the order given.
///
/// A line is trimmed; an empty line and a line starting with `#` are skipped, and ` #` (a `#`
/// after white space) starts a comment at the end of a line, so a file can annotate its IDs:
///
///     # rollback of release 42
///     3f0c6d2e-8a41-4b7e-9d35-0c1f2a7b9e11   # the stuck one
///     tsk_4810001
public enum IDList {
    /// The IDs of `text`, in order; duplicates are kept (the gateway answers each entry).
    public static func parse(_ text: String) -> [String] {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).compactMap { line in
            let id = stripComment(line).trimmingCharacters(in: .whitespaces)
            return id.isEmpty ? nil : id
        }
    }

    /// Arguments first, then the file's lines (`-` is standard input), then, when neither names
    /// any ID and `stdin` is given (the command passes it when standard input is not a terminal),
    /// its lines.
    public static func read(
        arguments: [String], file: String?, stdin: (() -> Data)?
    ) throws(CancelCommandError) -> [String] {
        var ids = arguments.flatMap(parse)
        if let file {
            let data: Data
            if file == "-" {
                data = stdin?() ?? FileHandle.standardInput.readDataToEndOfFile()
            } else {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), isDirectory.boolValue {
                    throw CancelCommandError(.usage, "cannot read \(file): it is a directory")
                }
                do {
                    data = try Data(contentsOf: URL(fileURLWithPath: file))
                } catch {
                    throw CancelCommandError(.usage, "cannot read \(file): \(Self.reason(error))")
                }
            }
            ids += parse(String(decoding: data, as: UTF8.self))
        } else if ids.isEmpty, let stdin {
            ids = parse(String(decoding: stdin(), as: UTF8.self))
        }
        guard !ids.isEmpty else {
            throw CancelCommandError(.usage, "no IDs to cancel: give them as arguments, with --file PATH, or on standard input (one per line)")
        }
        return ids
    }

    private static func stripComment(_ line: Substring) -> Substring {
        if line.drop(while: \.isWhitespace).first == "#" { return "" }
        var previous: Character = " "
        for index in line.indices {
            if line[index] == "#" && previous.isWhitespace { return line[..<index] }
            previous = line[index]
        }
        return line
    }

    private static func reason(_ error: any Error) -> String {
        switch (error as? CocoaError)?.code {
        case .fileReadNoSuchFile?, .fileNoSuchFile?: "no such file"
        case .fileReadNoPermission?: "permission denied"
        default: (error as NSError).localizedDescription
        }
    }
}
