import Foundation

/// A one-line progress bar on standard error, drawn only when it is a terminal.
final class Progress {
    let enabled: Bool
    let label: String
    let started = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(enabled: Bool, label: String) {
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
        self.label = label
    }

    /// Redraws at most ten times a second.
    func update(done: Int, total: Int, extra: String = "") {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
        lastDraw = Date()
        let elapsed = Date().timeIntervalSince(started)
        let fraction = total > 0 ? Double(done) / Double(total) : 0
        let width = 28
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let eta = fraction > 0.01 ? elapsed / fraction - elapsed : 0
        let line = String(format: "\r%@ %@ %d/%d %@ ETA %@", label, bar, done, total, extra, Self.clock(eta))
        FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
        drawn = true
    }

    func finish() {
        guard enabled, drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// "4:05" or "1:02:03".
    static func clock(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
