/// Why a file was not indexed; the summary counts skipped files by reason.
public enum SkipReason: String, Sendable, CaseIterable, Codable {
    /// Not text: a binary format by name, or content with NUL bytes or many control characters.
    case binary
    /// Over `--max-file-size`, or a compressed file that decompresses past it.
    case tooLarge = "too_large"
    /// Permissions or an I/O error; its documents stay in the index until a run can read it.
    case unreadable
    /// A symbolic link whose target is gone.
    case brokenLink = "broken_link"
    /// A damaged PDF or gzip file.
    case broken
    /// A tool that reads this type is not installed (pdftotext).
    case toolMissing = "tool_missing"

    /// The words the summary line uses.
    public var label: String { rawValue.replacingOccurrences(of: "_", with: " ") }
}
