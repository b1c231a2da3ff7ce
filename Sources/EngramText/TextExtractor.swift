import Foundation

/// Why a file yielded no text.
public enum ExtractionError: Error, CustomStringConvertible, Equatable {
    case binary
    case unreadable(String)
    case toolMissing(String)
    case brokenPDF(String)
    case brokenCompression(String)
    case tooLarge(String)
    case empty

    public var description: String {
        switch self {
        case .binary: return "binary file (not text)"
        case .unreadable(let why): return "unreadable: \(why)"
        case .toolMissing(let tool): return "\(tool) is not installed (Debian: apt-get install poppler-utils)"
        case .brokenPDF(let why): return "broken PDF: \(why)"
        case .brokenCompression(let why): return "\(why)"
        case .tooLarge(let why): return "too large: \(why)"
        case .empty: return "no text"
        }
    }

    /// How the summary counts a file skipped for this error.
    public var skipReason: SkipReason {
        switch self {
        case .binary, .empty: return .binary
        case .unreadable: return .unreadable
        case .toolMissing: return .toolMissing
        case .brokenPDF, .brokenCompression: return .broken
        case .tooLarge: return .tooLarge
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

/// Reads a file's text: plain text, Markdown and code as they are; HTML's visible text in its declared
/// charset; PDF via `pdftotext`; gzip-compressed files by the name inside; files whose name says
/// nothing when their content is text. Line endings come out as `\n`.
public struct TextExtractor: Sendable {
    /// The most bytes a compressed file may decompress to.
    public var maxDecompressedSize: Int

    public init(maxDecompressedSize: Int = 10_000_000) {
        self.maxDecompressedSize = maxDecompressedSize
    }

    public func extract(path: String, data: Data) throws(ExtractionError) -> ExtractedText {
        let fileName = FileKind.contentName(path)
        var data = data
        if FileKind.isCompressed(path) {
            do { data = try Gzip.decompress(data, limit: maxDecompressedSize) } catch {
                switch error {
                case .tooLarge: throw .tooLarge(error.description)
                case .corrupt: throw .brokenCompression(error.description)
                }
            }
        }
        let type: DocumentType
        switch FileKind(path: path) {
        case .known(let t): type = t
        case .binary: throw .binary
        case .unknown:
            guard TextDecoding.looksLikeText(data.prefix(8192)) else { throw .binary }
            type = .text
        }
        if type == .pdf {
            guard !FileKind.isCompressed(path) else { throw .brokenPDF("compressed PDF files are not read") }
            return try pdf(path: path, fileName: fileName)
        }
        var warnings: [String] = []
        var title = ""
        var text: String
        switch type {
        case .html:
            let charset = HTMLText.declaredCharset(data.prefix(4096))
            text = try TextDecoding.decode(data, charset: charset ?? Self.undeclaredHTMLCharset(data), warnings: &warnings)
            let page = HTMLText.extract(text)
            text = page.text
            title = page.title
        case .markdown:
            text = try TextDecoding.decode(data, warnings: &warnings)
            title = Self.firstHeading(text, marker: "#")
        default:
            text = try TextDecoding.decode(data, warnings: &warnings)
            if fileName.lowercased().hasSuffix(".org") { title = Self.firstHeading(text, marker: "*") }
        }
        if title.isEmpty { title = fileName }
        return ExtractedText(text: text, title: title, type: type, warnings: warnings)
    }

    /// A page that declares no charset is UTF-8 when it decodes as such, else windows-1252 (the web's default).
    static func undeclaredHTMLCharset(_ data: Data) -> String? {
        String(validating: data, as: UTF8.self) == nil ? "windows-1252" : nil
    }

    static func firstHeading(_ text: String, marker: Character) -> String {
        for line in text.split(maxSplits: 200, omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let trimmed = line.drop { $0 == " " }
            guard trimmed.first == marker else { continue }
            let heading = trimmed.drop { $0 == marker }
            if heading.first == " " { return heading.trimmingCharacters(in: .whitespaces) }
        }
        return ""
    }

    private func pdf(path: String, fileName: String) throws(ExtractionError) -> ExtractedText {
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
        let text = try TextDecoding.decode(data, charset: "utf-8", warnings: &warnings).replacingOccurrences(of: "\u{0C}", with: "\n")
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
