import Foundation

/// A tokenised input: word-piece ids including `[CLS]` and `[SEP]`.
public struct Encoding: Sendable, Equatable {
    public var ids: [Int32]
    /// Number of ids the text would have had without truncation (including `[CLS]`/`[SEP]`).
    public var untruncatedLength: Int
}

/// Hugging Face's `BertTokenizer` (`do_lower_case`): literal special tokens, basic tokenisation,
/// greedy longest-match WordPiece, `[UNK]` for words over 100 scalars or with an unmatched part,
/// and truncation to `maxLength` ids including `[CLS]` and `[SEP]`.
public struct BertTokenizer: Sendable {
    public let vocabulary: Vocabulary
    public let maxLength: Int
    public let maxWordLength = 100
    private let basic: BasicTokenizer

    public init(vocabulary: Vocabulary, maxLength: Int = 256, lowercase: Bool = true) {
        self.vocabulary = vocabulary
        self.basic = BasicTokenizer(lowercase: lowercase)
        self.maxLength = max(2, maxLength)
    }

    public func encode(_ text: String) -> Encoding {
        var pieces: [Int32] = []
        for segment in splitOnSpecialTokens(text) {
            switch segment {
            case .special(let id): pieces.append(id)
            case .text(let t):
                for word in basic.words(t) { wordPiece(word, into: &pieces) }
            }
        }
        let untruncated = pieces.count + 2
        if pieces.count > maxLength - 2 { pieces.removeSubrange((maxLength - 2)...) }
        return Encoding(ids: [vocabulary.clsID] + pieces + [vocabulary.sepID], untruncatedLength: untruncated)
    }

    /// The word pieces of `text` as strings (for display and debugging).
    public func tokens(_ text: String) -> [String] {
        encode(text).ids.map { vocabulary.tokens[Int($0)] }
    }

    func wordPiece(_ word: [Unicode.Scalar], into out: inout [Int32]) {
        if word.count > maxWordLength {
            out.append(vocabulary.unknownID)
            return
        }
        let mark = out.count
        var start = 0
        while start < word.count {
            guard let match = vocabulary.longestMatch(word, from: start, continuation: start > 0) else {
                out.removeSubrange(mark...)
                out.append(vocabulary.unknownID)
                return
            }
            out.append(match.id)
            start += match.length
        }
    }

    enum Segment { case text(Substring), special(Int32) }

    /// Cuts out literal `[CLS]`, `[SEP]`, `[MASK]`, `[UNK]`, `[PAD]` (case-sensitive), matched before normalisation.
    func splitOnSpecialTokens(_ text: String) -> [Segment] {
        guard text.contains("[") else { return [.text(text[...])] }
        var segments: [Segment] = []
        let scalars = text.unicodeScalars
        var segmentStart = scalars.startIndex
        var i = scalars.startIndex
        outer: while i < scalars.endIndex {
            if scalars[i] == "[" {
                for (token, id) in vocabulary.specialTokens {
                    var j = i
                    var matched = true
                    for t in token {
                        guard j < scalars.endIndex, scalars[j] == t else { matched = false; break }
                        j = scalars.index(after: j)
                    }
                    if matched {
                        if segmentStart < i { segments.append(.text(Substring(scalars[segmentStart..<i]))) }
                        segments.append(.special(id))
                        i = j
                        segmentStart = j
                        continue outer
                    }
                }
            }
            i = scalars.index(after: i)
        }
        if segmentStart < scalars.endIndex { segments.append(.text(Substring(scalars[segmentStart...]))) }
        return segments
    }
}
