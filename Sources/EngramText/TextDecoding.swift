import Foundation

/// Bytes to text: byte order marks (UTF-8, UTF-16, UTF-32), a declared charset, UTF-8 with
/// replacement otherwise; line endings become `\n`. Also tells text from binary by content.
public enum TextDecoding {
    /// The encodings a byte order mark announces, longest mark first (UTF-32 LE starts like UTF-16 LE).
    enum Mark: CaseIterable {
        case utf32LE, utf32BE, utf8, utf16LE, utf16BE

        var bytes: [UInt8] {
            switch self {
            case .utf32LE: return [0xFF, 0xFE, 0x00, 0x00]
            case .utf32BE: return [0x00, 0x00, 0xFE, 0xFF]
            case .utf8: return [0xEF, 0xBB, 0xBF]
            case .utf16LE: return [0xFF, 0xFE]
            case .utf16BE: return [0xFE, 0xFF]
            }
        }

        static func of(_ data: Data) -> Mark? { allCases.first { data.starts(with: $0.bytes) } }
    }

    /// Whether the bytes look like text: a byte order mark, or no NUL and few control characters.
    /// Used on a file's first bytes when neither its name nor its extension says what it is.
    public static func looksLikeText(_ data: Data) -> Bool {
        if Mark.of(data) != nil { return true }
        var controls = 0
        for b in data {
            if b == 0 { return false }
            // Tab, line feed, vertical tab, form feed, carriage return, escape and backspace occur in text.
            if (b < 0x20 && ![0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1B].contains(b)) || b == 0x7F { controls += 1 }
        }
        return controls * 100 <= data.count
    }

    /// The text of `data`. A byte order mark wins over `charset` (an IANA name such as a page declares);
    /// NUL bytes without a mark mean binary. Problems that did not stop decoding go to `warnings`.
    public static func decode(_ data: Data, charset: String? = nil, warnings: inout [String]) throws(ExtractionError) -> String {
        let text: String
        if let mark = Mark.of(data) {
            text = decode(data.dropFirst(mark.bytes.count), mark: mark, warnings: &warnings)
        } else {
            if data.contains(0) { throw .binary }
            text = decode(data, declared: charset, warnings: &warnings)
        }
        return normalizingLineEndings(text)
    }

    private static func decode(_ bytes: Data, mark: Mark, warnings: inout [String]) -> String {
        switch mark {
        case .utf8:
            return utf8(bytes, warnings: &warnings)
        case .utf16LE, .utf16BE:
            let little = mark == .utf16LE
            var units: [UInt16] = []
            units.reserveCapacity(bytes.count / 2)
            var i = bytes.startIndex
            while i + 1 < bytes.endIndex {
                let a = UInt16(bytes[i]), b = UInt16(bytes[i + 1])
                units.append(little ? a | b << 8 : a << 8 | b)
                i += 2
            }
            if bytes.count % 2 != 0 { warnings.append("UTF-16 text ends in half a character") }
            if let s = String(validating: units, as: UTF16.self) { return s }
            warnings.append("invalid UTF-16, undecodable units replaced with U+FFFD")
            return String(decoding: units, as: UTF16.self)
        case .utf32LE, .utf32BE:
            let little = mark == .utf32LE
            var scalars = String.UnicodeScalarView()
            var invalid = false
            var i = bytes.startIndex
            while i + 3 < bytes.endIndex {
                let b = (0..<4).map { UInt32(bytes[i + $0]) }
                let value = little ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]
                if let s = Unicode.Scalar(value) { scalars.append(s) } else { scalars.append("\u{FFFD}"); invalid = true }
                i += 4
            }
            if invalid || bytes.count % 4 != 0 { warnings.append("invalid UTF-32, undecodable units replaced with U+FFFD") }
            return String(scalars)
        }
    }

    private static func decode(_ bytes: Data, declared charset: String?, warnings: inout [String]) -> String {
        guard let charset = charset?.trimmingCharacters(in: .whitespaces).lowercased(), !charset.isEmpty else {
            return utf8(bytes, warnings: &warnings)
        }
        switch charset {
        case "utf-8", "utf8", "unicode-1-1-utf-8":
            return utf8(bytes, warnings: &warnings)
        // The web reads all of these as windows-1252, a superset of Latin-1 and ASCII.
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "ibm819",
             "us-ascii", "ascii", "windows-1252", "cp1252", "x-cp1252":
            return windows1252(bytes)
        default:
            if let encoding = foundationEncoding(charset), let s = String(data: bytes, encoding: encoding) { return s }
            warnings.append("charset \(charset) is not supported; read as UTF-8")
            return utf8(bytes, warnings: &warnings)
        }
    }

    /// Other common IANA names that Foundation decodes on Linux too (EUC-JP, for one, it does not).
    static func foundationEncoding(_ name: String) -> String.Encoding? {
        switch name {
        case "iso-8859-2", "latin2": return .isoLatin2
        case "windows-1250", "cp1250": return .windowsCP1250
        case "windows-1251", "cp1251": return .windowsCP1251
        case "windows-1253", "cp1253": return .windowsCP1253
        case "windows-1254", "cp1254": return .windowsCP1254
        case "shift_jis", "shift-jis", "sjis": return .shiftJIS
        case "utf-16": return .utf16
        case "utf-16le": return .utf16LittleEndian
        case "utf-16be": return .utf16BigEndian
        default: return nil
        }
    }

    /// UTF-8; invalid sequences become U+FFFD, with a warning.
    static func utf8(_ bytes: Data, warnings: inout [String]) -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        warnings.append("invalid UTF-8, undecodable bytes replaced with U+FFFD")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Windows-1252: Latin-1 with printable characters in 0x80–0x9F; its five unassigned bytes map to
    /// the C1 controls of the same value, as browsers do.
    static func windows1252(_ bytes: Data) -> String {
        let high: [UInt32] = [
            0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
            0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
        ]
        var scalars = String.UnicodeScalarView()
        for b in bytes {
            let value = (0x80...0x9F).contains(b) ? high[Int(b) - 0x80] : UInt32(b)
            scalars.append(Unicode.Scalar(value)!)
        }
        return String(scalars)
    }

    /// `\r\n` and a lone `\r` become `\n`, so that a line is a line whatever system wrote the file
    /// (in Swift `"\r\n"` is one `Character`, which splitting on `"\n"` never finds).
    public static func normalizingLineEndings(_ text: String) -> String {
        guard text.utf8.contains(0x0D) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var afterCR = false
        for b in text.utf8 {
            if b == 0x0D {
                out.append(0x0A)
                afterCR = true
            } else {
                if !(b == 0x0A && afterCR) { out.append(b) }
                afterCR = false
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
