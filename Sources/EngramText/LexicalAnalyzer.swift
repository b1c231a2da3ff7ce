/// Turns text into the terms of Engram's BM25: lower-cased runs of letters and digits of two or
/// more characters, English stopwords dropped, Porter-stemmed.
public struct LexicalAnalyzer: Sendable {
    public init() {}

    /// Terms in text order (with repeats).
    public func terms(_ text: String) -> [String] {
        var out: [String] = []
        var word = String.UnicodeScalarView()
        func flush() {
            defer { word.removeAll() }
            guard word.count >= 2 else { return }
            let w = String(word)
            if Self.stopwords.contains(w) { return }
            out.append(PorterStemmer.stem(w))
        }
        for s in text.unicodeScalars {
            if s.isASCII {
                // ASCII without Unicode property lookups (the same classes: letters, digits, `_`), which
                // made up most of the analysis of English text.
                let v = s.value
                if v >= 65 && v <= 90 {
                    word.append(Unicode.Scalar(UInt8(v + 32)))
                } else if (v >= 97 && v <= 122) || (v >= 48 && v <= 57) || v == 95 {
                    word.append(s)
                } else {
                    flush()
                }
            } else if s.properties.isAlphabetic || s.properties.numericType != nil {
                word.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            } else {
                flush()
            }
        }
        flush()
        return out
    }

    /// Term → count.
    public func termCounts(_ text: String) -> [String: Int] {
        terms(text).reduce(into: [:]) { $0[$1, default: 0] += 1 }
    }

    /// The English stopword list used by common BM25 tools (NLTK's).
    public static let stopwords: Set<String> = [
        "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours", "yourself", "yourselves",
        "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its", "itself", "they", "them", "their",
        "theirs", "themselves", "what", "which", "who", "whom", "this", "that", "these", "those", "am", "is", "are",
        "was", "were", "be", "been", "being", "have", "has", "had", "having", "do", "does", "did", "doing", "a", "an",
        "the", "and", "but", "if", "or", "because", "as", "until", "while", "of", "at", "by", "for", "with", "about",
        "against", "between", "into", "through", "during", "before", "after", "above", "below", "to", "from", "up",
        "down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once", "here", "there", "when",
        "where", "why", "how", "all", "any", "both", "each", "few", "more", "most", "other", "some", "such", "no", "nor",
        "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can", "will", "just", "don", "should",
        "now", "d", "ll", "m", "o", "re", "ve", "y", "ain", "aren", "couldn", "didn", "doesn", "hadn", "hasn", "haven",
        "isn", "ma", "mightn", "mustn", "needn", "shan", "shouldn", "wasn", "weren", "won", "wouldn",
    ]
}
