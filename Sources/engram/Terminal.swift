import EngramEngine
import EngramMemory
import Foundation

/// Colour and layout for human-readable output: ANSI colour only when standard output is a terminal
/// (and NO_COLOR is unset).
enum Terminal {
    static let color = TextStyle.colorTerminal
    /// The colours, shared with `engram-pg` (`SearchPrinter` prints with it).
    static let style = TextStyle.terminal(color: color)

    static func bold(_ s: String) -> String { style.bold(s) }
    static func dim(_ s: String) -> String { style.dim(s) }
    static func cyan(_ s: String) -> String { style.cyan(s) }
    static func highlight(_ s: String) -> String { style.highlight(s) }

    static func render(_ snippet: Snippet) -> String { style.render(snippet) }

    /// Text from documents, file names or users, made harmless for a terminal (`TextStyle.safe`).
    static func safe(_ s: String) -> String { TextStyle.safe(s) }

    /// A path relative to the current folder when it lies under it.
    static func display(_ path: String) -> String { TextStyle.relative(path) }

    /// Warnings and notes go to standard error, one line each (file names and texts in them escaped).
    static func warn(_ s: String) {
        FileHandle.standardError.write(Data("engram: \(safe(s))\n".utf8))
    }
}
