import Foundation

/// A passage of a document, with the lines (1-based, inclusive) it came from.
public struct TextChunk: Sendable, Equatable {
    public var text: String
    public var lineStart: Int
    public var lineEnd: Int
    public var tokenCount: Int

    public init(text: String, lineStart: Int, lineEnd: Int, tokenCount: Int) {
        (self.text, self.lineStart, self.lineEnd, self.tokenCount) = (text, lineStart, lineEnd, tokenCount)
    }
}

/// Cuts text into passages of at most `maxTokens` word pieces on heading, paragraph and sentence
/// boundaries, each starting with about `overlap` of the previous passage's closing sentences.
public struct Chunker: Sendable {
    public var maxTokens: Int
    public var overlap: Double
    /// Counts the word pieces of a piece of text (the encoder's tokenizer, without `[CLS]`/`[SEP]`).
    public let countTokens: @Sendable (String) -> Int

    public init(maxTokens: Int = 200, overlap: Double = 0.15, countTokens: @escaping @Sendable (String) -> Int) {
        self.maxTokens = maxTokens
        self.overlap = overlap
        self.countTokens = countTokens
    }

    /// A sentence (or a piece of an over-long one) and where it sits.
    struct Unit {
        var text: String
        var line: Int
        var lastLine: Int
        var tokens: Int
        var startsSection: Bool    // a heading begins here
        var startsParagraph: Bool
    }

    public func chunks(_ text: String) -> [TextChunk] {
        let units = self.units(text)
        var chunks: [TextChunk] = []
        var current: [Unit] = []
        var tokens = 0
        var fresh = 0  // units in `current` not carried over from the previous chunk

        func emit() {
            guard fresh > 0 else { return }
            let body = current.enumerated().map { i, u in
                i == 0 ? u.text : (u.startsParagraph ? "\n\n" : " ") + u.text
            }.joined()
            chunks.append(TextChunk(text: body, lineStart: current.first!.line, lineEnd: current.map(\.lastLine).max()!,
                                    tokenCount: tokens))
            // Carry the closing sentences that fit in the overlap budget into the next chunk.
            var carried: [Unit] = []
            var carriedTokens = 0
            let budget = Int(Double(maxTokens) * overlap)
            for u in current.reversed() {
                guard carriedTokens + u.tokens <= budget, carried.count + 1 < current.count else { break }
                carried.insert(u, at: 0)
                carriedTokens += u.tokens
            }
            current = carried
            tokens = carriedTokens
            fresh = 0
        }

        for unit in units {
            let full = tokens + unit.tokens > maxTokens
            // A heading starts a new chunk once the current one holds a fair amount.
            let sectionBreak = unit.startsSection && tokens - carriedTokens(current, fresh) >= maxTokens / 3
            if (full || sectionBreak) && fresh > 0 {
                emit()
                if unit.startsSection { current.removeAll(); tokens = 0 }
            }
            if tokens + unit.tokens > maxTokens { current.removeAll(); tokens = 0 }
            current.append(unit)
            tokens += unit.tokens
            fresh += 1
        }
        emit()
        return chunks
    }

    private func carriedTokens(_ current: [Unit], _ fresh: Int) -> Int {
        current.prefix(current.count - fresh).reduce(0) { $0 + $1.tokens }
    }

    /// Splits text into sentence units, tracking lines, headings and paragraph starts.
    func units(_ text: String) -> [Unit] {
        var units: [Unit] = []
        var paragraph: [String] = []
        var paragraphLine = 0
        var nextIsSection = false

        func flushParagraph() {
            guard !paragraph.isEmpty else { return }
            let joined = paragraph.joined(separator: "\n")
            var first = true
            for (sentence, linesBefore) in Self.sentences(joined) {
                let line = paragraphLine + linesBefore
                let endLine = line + sentence.filter { $0 == "\n" }.count
                for piece in split(sentence) {
                    units.append(Unit(text: piece.text, line: line, lastLine: endLine, tokens: piece.tokens,
                                      startsSection: first && nextIsSection, startsParagraph: first))
                    first = false
                }
            }
            paragraph.removeAll()
            nextIsSection = false
        }

        // `\r\n` is one Character and a lone `\r` ends a line too: each counts as one line break.
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
            .enumerated() {
            let line = String(rawLine)
            let number = index + 1
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                flushParagraph()
                continue
            }
            if Self.isHeading(trimmed) {
                flushParagraph()
                nextIsSection = true
                paragraph = [trimmed]
                paragraphLine = number
                flushParagraph()
                continue
            }
            if paragraph.isEmpty { paragraphLine = number }
            paragraph.append(line)
        }
        flushParagraph()
        return units
    }

    static func isHeading(_ line: String) -> Bool {
        if line.hasPrefix("#") {
            let rest = line.drop { $0 == "#" }
            return rest.first == " " && line.count - rest.count <= 6
        }
        return false
    }

    /// Sentence spans: a split after `.`, `!` or `?` followed by whitespace and not after a
    /// single-letter initial (e.g., "J. Smith"); returns each sentence with the number of line breaks
    /// before it, counted as the scan goes (counting from the start for each sentence was quadratic).
    static func sentences(_ text: String) -> [(String, Int)] {
        var out: [(String, Int)] = []
        let chars = Array(text)
        var start = 0
        var i = 0
        var counted = 0, breaks = 0  // line breaks in chars[..<counted]
        func linesBefore(_ offset: Int) -> Int {
            while counted < offset {
                if chars[counted] == "\n" { breaks += 1 }
                counted += 1
            }
            return breaks
        }
        while i < chars.count {
            let c = chars[i]
            if (c == "." || c == "!" || c == "?") && i + 1 < chars.count && chars[i + 1].isWhitespace {
                let isInitial = c == "." && i >= 1 && chars[i - 1].isUppercase && (i < 2 || !chars[i - 2].isLetter)
                if !isInitial {
                    let s = String(chars[start...i]).trimmingCharacters(in: .whitespacesAndNewlines)
                    if !s.isEmpty { out.append((s, linesBefore(start))) }
                    start = i + 1
                    while start < chars.count && chars[start].isWhitespace { start += 1 }
                    i = start
                    continue
                }
            }
            i += 1
        }
        if start < chars.count {
            let s = String(chars[start...]).trimmingCharacters(in: .whitespacesAndNewlines)
            if !s.isEmpty { out.append((s, linesBefore(start))) }
        }
        return out
    }

    /// A sentence longer than a chunk is cut into word runs that fit.
    func split(_ sentence: String) -> [(text: String, tokens: Int)] {
        let n = countTokens(sentence)
        if n <= maxTokens { return [(sentence, n)] }
        var pieces: [(String, Int)] = []
        var words: [Substring] = []
        var wordsTokens = 0
        for word in sentence.split(whereSeparator: { $0.isWhitespace }) {
            let t = max(1, countTokens(String(word)))
            if wordsTokens + t > maxTokens && !words.isEmpty {
                pieces.append((words.joined(separator: " "), wordsTokens))
                words.removeAll()
                wordsTokens = 0
            }
            words.append(word)
            wordsTokens += t
        }
        if !words.isEmpty { pieces.append((words.joined(separator: " "), wordsTokens)) }
        return pieces
    }
}
