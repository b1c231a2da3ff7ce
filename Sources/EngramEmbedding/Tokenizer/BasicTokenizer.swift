import Foundation

/// BERT's normaliser and pre-tokeniser, as in Hugging Face's `BertNormalizer` + `BertPreTokenizer`
/// with `do_lower_case`: clean the text, space out CJK ideographs, strip accents (NFD, drop Mn),
/// lower-case character by character, then split on whitespace and around every punctuation mark.
public struct BasicTokenizer: Sendable {
    /// Lower-case and strip accents (`do_lower_case`); cased models keep both.
    public let lowercase: Bool

    public init(lowercase: Bool = true) {
        self.lowercase = lowercase
    }

    /// Splits `text` into normalised words, each an array of Unicode scalars.
    public func words(_ text: Substring) -> [[Unicode.Scalar]] {
        // 1. Clean (drop controls and U+FFFD, whitespace → space) and space out CJK.
        var cleaned = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD || Self.isControl(s) { continue }
            if Self.isWhitespace(s) {
                cleaned.append(" ")
            } else if Self.isCJK(s.value) {
                cleaned.append(" ")
                cleaned.append(s)
                cleaned.append(" ")
            } else {
                cleaned.append(s)
            }
        }
        // 2. Strip accents after NFD, then lower-case one scalar at a time (no final-sigma rule).
        let decomposed = lowercase ? String(cleaned).decomposedStringWithCanonicalMapping : String(cleaned)
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        func flush() {
            if !current.isEmpty { words.append(current); current.removeAll(keepingCapacity: true) }
        }
        for s in decomposed.unicodeScalars {
            if lowercase && s.properties.generalCategory == .nonspacingMark { continue }
            for l in lowercase ? Self.lowercased(s) : [s] {
                // 3. Pre-tokenise: whitespace separates, punctuation stands alone.
                if l.properties.isWhitespace {
                    flush()
                } else if Self.isPunctuation(l) {
                    flush()
                    words.append([l])
                } else {
                    current.append(l)
                }
            }
        }
        flush()
        return words
    }

    @inline(__always)
    static func lowercased(_ s: Unicode.Scalar) -> [Unicode.Scalar] {
        if s.isASCII {
            let v = s.value
            return [(v >= 65 && v <= 90) ? Unicode.Scalar(v + 32)! : s]
        }
        let mapping = s.properties.lowercaseMapping
        return Array(mapping.unicodeScalars)
    }

    /// Control characters are deleted (tab, newline and carriage return count as whitespace instead).
    /// Unassigned code points are kept, as the reference keeps them.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09, 0x0A, 0x0D: return false
        default:
            switch s.properties.generalCategory {
            case .control, .format, .privateUse, .surrogate: return true
            default: return false
            }
        }
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09, 0x0A, 0x0D, 0x20: return true
        default: return s.properties.isWhitespace
        }
    }

    /// ASCII symbols count as punctuation (BERT's rule), as does every Unicode P* category.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        if v < 128 || v == 0x061D { return false }  // U+061D is newer than the reference's tables
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// The CJK Unified Ideograph blocks BERT spaces out (one range starts at 0x2B920, as in the reference).
    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B920...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
