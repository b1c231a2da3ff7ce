import Foundation

/// Why a file yielded no text.
public enum ExtractionError: Error, CustomStringConvertible, Equatable {
    case binary
    case unreadable(String)
    case toolMissing(String)
    case brokenPDF(String)
    case empty

    public var description: String {
        switch self {
        case .binary: return "binary file (contains NUL bytes)"
        case .unreadable(let why): return "unreadable: \(why)"
        case .toolMissing(let tool): return "\(tool) is not installed (Debian: apt-get install poppler-utils)"
        case .brokenPDF(let why): return "broken PDF: \(why)"
        case .empty: return "no text"
        }
    }
}

/// The text of one file, ready for chunking.
public struct ExtractedText: Sendable {
    public var text: String
    public var title: String
    public var type: DocumentType
    /// Problems that did not stop extraction (e.g. invalid UTF-8 replaced).
    public var warnings: [String]
}

/// Reads a file's text: plain text, Markdown and code as they are; HTML's visible text; PDF via `pdftotext`.
public struct TextExtractor: Sendable {
    public init() {}

    public func extract(path: String, data: Data) throws -> ExtractedText {
        guard let type = DocumentType(path: path) else { throw ExtractionError.unreadable("unsupported type") }
        let fileName = (path as NSString).lastPathComponent
        if type == .pdf { return try pdf(path: path, fileName: fileName) }
        if data.contains(0) { throw ExtractionError.binary }
        var warnings: [String] = []
        var text = Self.decode(data, warnings: &warnings)
        var title = ""
        switch type {
        case .html:
            let page = HTMLText.extract(text)
            text = page.text
            title = page.title
        case .markdown:
            title = Self.firstHeading(text, marker: "#")
        case .text where fileName.lowercased().hasSuffix(".org"):
            title = Self.firstHeading(text, marker: "*")
        default:
            break
        }
        if title.isEmpty { title = fileName }
        return ExtractedText(text: text, title: title, type: type, warnings: warnings)
    }

    /// UTF-8 with the BOM dropped; invalid sequences become U+FFFD, with a warning.
    static func decode(_ data: Data, warnings: inout [String]) -> String {
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        warnings.append("invalid UTF-8, undecodable bytes replaced with U+FFFD")
        return String(decoding: bytes, as: UTF8.self)
    }

    static func firstHeading(_ text: String, marker: Character) -> String {
        for line in text.split(separator: "\n", maxSplits: 200, omittingEmptySubsequences: true) {
            let trimmed = line.drop { $0 == " " }
            guard trimmed.first == marker else { continue }
            let heading = trimmed.drop { $0 == marker }
            if heading.first == " " { return heading.trimmingCharacters(in: .whitespaces) }
        }
        return ""
    }

    private func pdf(path: String, fileName: String) throws -> ExtractedText {
        guard let tool = Self.pdftotext else { throw ExtractionError.toolMissing("pdftotext") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["-layout", "-enc", "UTF-8", "-q", path, "-"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { throw ExtractionError.toolMissing("pdftotext") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let why = String(decoding: message, as: UTF8.self).split(separator: "\n").first.map(String.init)
            throw ExtractionError.brokenPDF(why ?? "pdftotext exited with \(p.terminationStatus)")
        }
        var warnings: [String] = []
        let text = Self.decode(data, warnings: &warnings).replacingOccurrences(of: "\u{0C}", with: "\n")
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ExtractionError.brokenPDF("no text layer") }
        let firstLine = text.split(separator: "\n").first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let title = firstLine.map { $0.trimmingCharacters(in: .whitespaces) } ?? fileName
        return ExtractedText(text: text, title: title.count <= 120 ? title : fileName, type: .pdf, warnings: warnings)
    }

    /// `pdftotext` from PATH, if installed.
    public static let pdftotext: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/pdftotext"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()
}
