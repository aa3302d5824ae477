internal import Foundation
internal import HTTPTypes

/// A problem answer stays small whatever the request was: a body of 200,000 wrong-typed IDs, a
/// 100 KB unknown key or an echoed value must not turn a 422 into megabytes. At most
/// `maxListedErrors` errors are listed (the detail says how many more there were), each pointer
/// and message is cut at `maxFieldLength` Unicode scalars, and the encoded answer is kept under
/// `maxEncodedBytes` by listing fewer errors when escaping still makes it too large.
extension Problem {
    public static let maxListedErrors = 50
    public static let maxEncodedBytes = 16 * 1024
    static let maxFieldLength = 240
    static let maxDetailLength = 1000

    /// The JSON body, with as many of `errors` as fit in `maxEncodedBytes`.
    func encoded() throws -> Data {
        var listed = errors.count
        var data = try body(listing: listed)
        while data.count >= Self.maxEncodedBytes, listed > 0 {
            // Shrink in proportion to the excess; at least one error less each time.
            listed = min(listed - 1, listed * Self.maxEncodedBytes / data.count)
            data = try body(listing: listed)
        }
        return data
    }

    private func body(listing listed: Int) throws -> Data {
        let omitted = errorCount - listed
        let note = omitted > 0 ? " Only the first \(listed) errors are listed; \(omitted) more are not." : ""
        let body = Body(type: type, title: title, status: status.code, detail: detail + note, errors: Array(errors.prefix(listed)))
        return try JSONEncoder().encode(body)
    }

    static func truncated(_ text: String, to length: Int) -> String {
        guard text.unicodeScalars.count > length else { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.prefix(length - 1))
        return String(scalars) + "…"
    }
}

/// Field errors as they are found: the first `Problem.maxListedErrors` kept, the others only
/// counted, so checking a body of many bad entries costs no more memory than the answer holds.
struct FieldErrorList {
    private(set) var listed: [Problem.FieldError] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ error: Problem.FieldError) {
        count += 1
        if listed.count < Problem.maxListedErrors { listed.append(error) }
    }
}
