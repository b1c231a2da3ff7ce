import EngramEngine
import Foundation

/// Colour and layout for human-readable output: ANSI colour only when standard output is a terminal
/// (and NO_COLOR is unset).
enum Terminal {
    static let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    static func bold(_ s: String) -> String { color ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    static func dim(_ s: String) -> String { color ? "\u{1B}[2m\(s)\u{1B}[0m" : s }
    static func cyan(_ s: String) -> String { color ? "\u{1B}[36m\(s)\u{1B}[0m" : s }
    static func highlight(_ s: String) -> String { color ? "\u{1B}[1;33m\(s)\u{1B}[0m" : s }

    static func render(_ snippet: Snippet) -> String {
        snippet.pieces.map { $0.highlighted ? highlight($0.text) : $0.text }.joined()
    }

    /// A path relative to the current folder when it lies under it.
    static func display(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
    }

    /// Warnings and notes go to standard error, one line each.
    static func warn(_ s: String) {
        FileHandle.standardError.write(Data("engram: \(s)\n".utf8))
    }
}
