/// The progress line drawn on a terminal (standard error) while chunks are answered:
/// `[██████░░░░░░░░░░░░░░░░░░] 3/12 requests, 2500/12000 items`.
public enum ProgressBar {
    /// The line itself, without control characters.
    public static func line(_ progress: CancelProgress, width: Int = 24) -> String {
        let fraction = progress.items == 0 ? 1 : Double(progress.itemsDone) / Double(progress.items)
        let filled = min(width, Int((fraction * Double(width)).rounded(.down)))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let waiting = progress.waitingForEarlierRequest ? " (waiting: an earlier run's request with the same key is still running)" : ""
        return "[\(bar)] \(progress.requestsDone)/\(progress.requests) requests, \(progress.itemsDone)/\(progress.items) items" + waiting
    }

    /// What to write to redraw the line in place: carriage return, the line, erase to its end;
    /// a newline once the last request is answered.
    public static func redraw(_ progress: CancelProgress, width: Int = 24) -> String {
        "\r" + line(progress, width: width) + "\u{1B}[K" + (progress.requestsDone == progress.requests ? "\n" : "")
    }
}
