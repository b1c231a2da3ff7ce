import EngramText
import Foundation

/// A short excerpt of a chunk around the query's terms, with the matching words marked.
public struct Snippet: Sendable, Equatable {
    /// Consecutive pieces of the excerpt; `highlighted` pieces are words that match a query term.
    public var pieces: [(text: String, highlighted: Bool)]
    /// Lines from the chunk's first line to the excerpt's first matching word (to the excerpt's start when
    /// no word matches): `chunk line + lineOffset` is the line to open.
    public var lineOffset = 0

    public var text: String { pieces.map(\.text).joined() }

    public static func == (a: Snippet, b: Snippet) -> Bool { a.text == b.text }

    /// The window of about `words` words with the most query-term matches, at most `maxCharacters`
    /// characters long (a passage without spaces, such as minified code, is cut at a character boundary).
    public init(chunk: String, query: String, words: Int = 32, maxCharacters: Int = 300) {
        let analyzer = LexicalAnalyzer()
        let wanted = Set(analyzer.terms(query))
        let matches = analyzer.matcher(for: wanted)
        // Words, each with the line it stands on.
        var tokens: [String] = [], lines: [Int] = []
        var line = 0, word = ""
        for c in chunk {
            if c.isWhitespace {
                if !word.isEmpty { tokens.append(word); lines.append(line); word = "" }
                if c.isNewline { line += 1 }
            } else {
                word.append(c)
            }
        }
        if !word.isEmpty { tokens.append(word); lines.append(line) }
        // A giant token (minified code, base64) is matched on its start only: analysing a megabyte to
        // decide one highlight would cost more than the search.
        let matched = tokens.map { token in
            !wanted.isEmpty && matches(token.utf8.count > 512 ? String(token.prefix(512)) : token)
        }
        var bestStart = 0, bestCount = -1
        if tokens.count > words {
            var count = matched.prefix(words).filter { $0 }.count
            bestCount = count
            for start in 1...(tokens.count - words) {
                count += (matched[start + words - 1] ? 1 : 0) - (matched[start - 1] ? 1 : 0)
                if count > bestCount { bestCount = count; bestStart = start }
            }
        }
        let end = min(tokens.count, bestStart + words)
        var pieces: [(String, Bool)] = []
        if bestStart > 0 { pieces.append(("… ", false)) }
        var budget = maxCharacters
        var cut = false
        for i in bestStart..<end {
            if i > bestStart { pieces.append((" ", false)); budget -= 1 }
            let token = tokens[i]
            if token.count > budget {
                if budget > 0 { pieces.append((String(token.prefix(budget)), matched[i])) }
                cut = true
                break
            }
            pieces.append((token, matched[i]))
            budget -= token.count
        }
        if cut { pieces.append(("…", false)) } else if end < tokens.count { pieces.append((" …", false)) }
        self.pieces = pieces
        if bestStart < end { lineOffset = lines[(bestStart..<end).first { matched[$0] } ?? bestStart] }
    }
}
