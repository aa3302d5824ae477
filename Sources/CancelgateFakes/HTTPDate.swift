import Foundation

/// IMF-fixdate (RFC 9110 §5.6.7), the one HTTP-date form a sender generates: `Sun, 06 Nov 1994 08:49:37 GMT`.
enum HTTPDate {
    /// The date `text` names, only if it is an IMF-fixdate exactly as `format` would write it (so a wrong
    /// weekday or a missing zero is refused rather than guessed at).
    static func parse(_ text: String) -> Date? {
        let formatter = makeFormatter()
        guard let date = formatter.date(from: text), formatter.string(from: date) == text else { return nil }
        return date
    }

    static func isValid(_ text: String) -> Bool {
        parse(text) != nil
    }

    static func format(_ date: Date) -> String {
        makeFormatter().string(from: date)
    }

    /// A new formatter per call: DateFormatter is not safe to share across threads.
    private static func makeFormatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }
}
