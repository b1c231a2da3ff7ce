import EngramEngine
import Foundation

/// Colour and layout for human-readable output: ANSI colour only when standard output is a terminal
/// (and NO_COLOR is unset).
public enum Terminal {
    public static let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

    public static func bold(_ s: String) -> String { color ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
    public static func dim(_ s: String) -> String { color ? "\u{1B}[2m\(s)\u{1B}[0m" : s }
    public static func cyan(_ s: String) -> String { color ? "\u{1B}[36m\(s)\u{1B}[0m" : s }
    public static func highlight(_ s: String) -> String { color ? "\u{1B}[1;33m\(s)\u{1B}[0m" : s }

    public static func render(_ snippet: Snippet) -> String {
        snippet.pieces.map { $0.highlighted ? highlight(safe($0.text)) : safe($0.text) }.joined()
    }

    /// Text from documents, file names or users, made harmless for a terminal: control characters (C0, DEL,
    /// C1, which start escape sequences and can set the window title, clear the screen or hide links) and
    /// line breaks are shown escaped (`\u{1B}`, `\n`), so one result stays one line and nothing reaches
    /// the terminal raw.
    public static func safe(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where isControl(scalar): out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isControl(_ c: Unicode.Scalar) -> Bool {
        c.value < 0x20 || (0x7F...0x9F).contains(c.value) || c == "\u{2028}" || c == "\u{2029}"
    }

    /// A path relative to the current folder when it lies under it.
    public static func display(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
    }

    /// Warnings and notes go to standard error, one line each (file names and texts in them escaped).
    public static func warn(_ s: String) {
        FileHandle.standardError.write(Data("engram: \(safe(s))\n".utf8))
    }
}
