import Foundation

/// Progress of a command's long loop (evaluation, a prototype search, a folder of images) on
/// standard error, so standard output stays the command's result: silent for work done within
/// two seconds, then a line redrawn in place on a terminal, or a plain line every ten seconds
/// otherwise, each with the pace and the time left.
final class WorkProgress {
    private let label: String
    private let unit: String
    private let total: Int
    private let isTerminal = ProgressDisplay.isTerminal(STDERR_FILENO)
    private let start = Date()
    private var lastShown: Date?
    private var lastWidth = 0

    init(_ label: String, total: Int, unit: String) {
        self.label = label
        self.total = total
        self.unit = unit
    }

    func update(done: Int) {
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        guard elapsed >= 2, done > 0 else { return }
        if let lastShown, now.timeIntervalSince(lastShown) < (isTerminal ? 0.25 : 10), done < total { return }
        lastShown = now
        let rate = Double(done) / elapsed
        let line = "\(label): \(done)/\(total) \(unit), \(format(rate, 0)) \(unit)/s, ETA \(duration(Double(total - done) / rate))"
        if isTerminal {
            write("\r" + line + String(repeating: " ", count: max(0, lastWidth - line.count)))
            lastWidth = line.count
        } else {
            write(line + "\n")
        }
    }

    /// Ends a redrawn line before other output.
    func finish() {
        if isTerminal && lastWidth > 0 { write("\n") }
        lastWidth = 0
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
