import EngramEngine
import EngramMemory
import Foundation

/// Colour and layout for human-readable output: ANSI colour only when standard output is a terminal
/// (and NO_COLOR is unset).
public enum Terminal {
    public static let color = TextStyle.colorTerminal
    /// The colours, shared with `engram-pg` (`SearchPrinter` prints with it).
    public static let style = TextStyle.terminal(color: color)

    public static func bold(_ s: String) -> String { style.bold(s) }
    public static func dim(_ s: String) -> String { style.dim(s) }
    public static func cyan(_ s: String) -> String { style.cyan(s) }
    public static func highlight(_ s: String) -> String { style.highlight(s) }

    public static func render(_ snippet: Snippet) -> String { style.render(snippet) }

    /// Text from documents, file names or users, made harmless for a terminal (`TextStyle.safe`).
    public static func safe(_ s: String) -> String { TextStyle.safe(s) }

    /// A path relative to the current folder when it lies under it.
    public static func display(_ path: String) -> String { TextStyle.relative(path) }

    /// Warnings and notes go to standard error, one line each (file names and texts in them escaped).
    public static func warn(_ s: String) {
        FileHandle.standardError.write(Data("engram: \(safe(s))\n".utf8))
    }
}
