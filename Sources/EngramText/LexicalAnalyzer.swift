/// Turns text into the terms of Engram's BM25: lower-cased runs of letters and digits of two or
/// more characters, English stopwords dropped, Porter-stemmed.
public struct LexicalAnalyzer: Sendable {
    public init() {}

    /// Terms in text order (with repeats).
    public func terms(_ text: String) -> [String] {
        var out: [String] = []
        forEachWord(text) { word in
            let w = String(word)
            if !Self.stopwords.contains(w) { out.append(PorterStemmer.stem(w)) }
            return true
        }
        return out
    }

    /// A test of whether any term of a text is in `wanted`, as `terms(text).contains(where: wanted.contains)`,
    /// made once for many texts (a snippet's words). It stems only the words that can match: a Porter stem
    /// keeps its word's first letter, so a word whose first letter starts no wanted term is passed over.
    public func matcher(for wanted: Set<String>) -> (String) -> Bool {
        let firsts = Set(wanted.compactMap { $0.unicodeScalars.first })
        return { text in
            var found = false
            forEachWord(text, starting: { firsts.contains($0) }) { word in
                let w = String(word)
                found = !Self.stopwords.contains(w) && wanted.contains(PorterStemmer.stem(w))
                return !found
            }
            return found
        }
    }

    /// Calls `body` with each lower-cased run of two or more letters, digits and `_` whose first scalar
    /// `starting` accepts (the others are skipped without being gathered), in text order, until it returns false.
    private func forEachWord(_ text: String, starting: (Unicode.Scalar) -> Bool = { _ in true },
                             _ body: (String.UnicodeScalarView) -> Bool) {
        var word = String.UnicodeScalarView()
        var going = true, skipping = false
        func add(_ s: Unicode.Scalar) {
            if word.isEmpty && !skipping && !starting(s) { skipping = true }
            if !skipping { word.append(s) }
        }
        func flush() {
            if word.count >= 2 { going = body(word) }
            word.removeAll(keepingCapacity: true)
            skipping = false
        }
        for s in text.unicodeScalars {
            if s.isASCII {
                // ASCII without Unicode property lookups (the same classes: letters, digits, `_`), which
                // made up most of the analysis of English text.
                let v = s.value
                if v >= 65 && v <= 90 {
                    add(Unicode.Scalar(UInt8(v + 32)))
                } else if (v >= 97 && v <= 122) || (v >= 48 && v <= 57) || v == 95 {
                    add(s)
                } else {
                    flush()
                }
            } else if s.properties.isAlphabetic || s.properties.numericType != nil {
                for l in s.properties.lowercaseMapping.unicodeScalars { add(l) }
            } else {
                flush()
            }
            if !going { return }
        }
        flush()
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
