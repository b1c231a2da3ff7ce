import EngramEngine
import Foundation

/// `engram search --json` on either store (and `engram serve`'s /search, `engram mcp`'s search): {"query", "mode", "results": [...], "timings_ms": {...}, "memory": {...}}.
public struct SearchOutput: Encodable, Sendable {
    public struct Result: Encodable, Sendable {
        public struct Scores: Encodable, Sendable {
            public let semantic: Double?
            public let lexical: Double?
            enum CodingKeys: String, CodingKey { case semantic, lexical }
            /// Both keys always, null for a side the mode has not.
            public func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(semantic, forKey: .semantic)
                try c.encode(lexical, forKey: .lexical)
            }
        }
        public let rank: Int
        public let path: String
        public let line: Int
        public let line_end: Int
        public let score: Double
        public let scores: Scores
        public let title: String
        public let snippet: String
        public let chunk: String
        /// With --per-file above 1: the file's further passages, best first.
        public let passages: [PassageOutput]?
    }
    public struct PassageOutput: Encodable, Sendable {
        public let line: Int
        public let line_end: Int
        public let score: Double
        public let snippet: String
        public let chunk: String
    }
    public let query: String
    public let mode: String
    public let results: [Result]
    public let timings_ms: [String: Double]
    public let memory: MemoryOutput?

    public init(_ r: SearchResponse, memory m: MemoryResult? = nil, profile: String = "default", config: MemoryConfig = MemoryConfig()) {
        memory = m.map { MemoryOutput($0, profile: profile, config: config) }
        query = r.query
        mode = r.mode.rawValue
        results = r.hits.map { h in
            Result(rank: h.rank, path: h.path, line: h.line, line_end: h.lineEnd, score: h.score, scores: .init(semantic: h.semantic, lexical: h.lexical),
                   title: h.title, snippet: h.snippet.text, chunk: h.chunkText,
                   passages: h.passages.isEmpty ? nil : h.passages.map {
                       PassageOutput(line: $0.line, line_end: $0.lineEnd, score: $0.score, snippet: $0.snippet.text, chunk: $0.text)
                   })
        }
        timings_ms = r.timings
    }
}

/// `"memory"` in `engram search --json`: the entries with their current weights, and per result
/// the base score, memory's part and both ranks.
public struct MemoryOutput: Encodable, Sendable {
    public struct Entry: Encodable, Sendable {
        public let id: Int64
        public let kind: String
        public let text: String
        public let path: String?
        public let weight: Double
        public let decay: Double
        public let gate: Double
        public let similarity: Double
        /// The cosine the guard asks of this entry for this query (its threshold, calibrated to the index).
        public let required_similarity: Double
        public let age_seconds: Double
        public let searches_since: Int
        /// Opens only: how far the opened document rises to be found again (decay × re-finding guard; 0: not at all).
        public let refind_weight: Double?
        public let active: Bool
        /// Why it is, or is not, in effect, in words.
        public let why: String
    }
    public struct Contribution: Encodable, Sendable {
        public let entry: Int64
        public let weight: Double
        public let similarity: Double
        /// The result is the document this entry opened, lifted to be found again (`weight` is then the
        /// entry's `refind_weight`).
        public let refound: Bool
    }
    public struct Result: Encodable, Sendable {
        public let rank: Int
        public let base_rank: Int?
        public let base_score: Double
        public let memory_score: Double
        public let contributions: [Contribution]
        /// The query's own best match, kept first while memory reorders what follows.
        public let kept: Bool
        /// When it was kept for its lead over the query's runner-up (memory fairly sure), that lead.
        public let kept_lead: Double?
    }
    public let profile: String
    public let entries: [Entry]
    public let results: [Result]

    public init(_ m: MemoryResult, profile: String, config: MemoryConfig) {
        self.profile = profile
        let floor = Set(m.active.map(\.entry.id))
        entries = m.entries.map {
            Entry(id: $0.entry.id, kind: $0.entry.kind, text: $0.entry.text, path: $0.entry.path, weight: $0.weight, decay: $0.decay,
                  gate: $0.gate, similarity: $0.similarity, required_similarity: $0.requiredCosine(config), age_seconds: $0.ageSeconds, searches_since: $0.searchesSince,
                  refind_weight: $0.entry.kind == "open" ? $0.refindWeight : nil, active: floor.contains($0.entry.id), why: $0.why(config))
        }
        results = m.explanations.map { e in
            Result(rank: e.rank, base_rank: e.base.rank, base_score: e.base.score, memory_score: e.memoryScore,
                   contributions: e.contributions.map { Contribution(entry: $0.entryID, weight: $0.weight, similarity: $0.similarity, refound: $0.refound) },
                   kept: e.kept, kept_lead: e.keptLead)
        }
    }
}

/// How text reaches a terminal: colours (identity without one) and the escaping of text from documents
/// and users, so `engram` and `engram-pg` print searches alike.
public struct TextStyle: Sendable {
    public var bold: @Sendable (String) -> String
    public var dim: @Sendable (String) -> String
    public var cyan: @Sendable (String) -> String
    public var highlight: @Sendable (String) -> String
    /// A path as shown (relative to the current folder, say).
    public var display: @Sendable (String) -> String

    public init(bold: @escaping @Sendable (String) -> String, dim: @escaping @Sendable (String) -> String,
                cyan: @escaping @Sendable (String) -> String, highlight: @escaping @Sendable (String) -> String,
                display: @escaping @Sendable (String) -> String) {
        (self.bold, self.dim, self.cyan, self.highlight, self.display) = (bold, dim, cyan, highlight, display)
    }

    /// No colour, paths as they are.
    public static let plain = TextStyle(bold: { $0 }, dim: { $0 }, cyan: { $0 }, highlight: { $0 }, display: { $0 })

    /// ANSI colours when `color` (standard output a terminal, NO_COLOR unset), paths relative to the
    /// current folder.
    public static func terminal(color: Bool) -> TextStyle {
        func ansi(_ code: String) -> @Sendable (String) -> String {
            guard color else { return { s in s } }
            return { s in "\u{1B}[" + code + "m" + s + "\u{1B}[0m" }
        }
        return TextStyle(bold: ansi("1"), dim: ansi("2"), cyan: ansi("36"), highlight: ansi("1;33"), display: { relative($0) })
    }

    /// Whether standard output is a terminal that takes colour (NO_COLOR unset).
    public static var colorTerminal: Bool { isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil }

    /// A path relative to the current folder when it lies under it.
    public static func relative(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
    }

    /// Text from documents, file names or users, made harmless for a terminal: control characters (C0, DEL,
    /// C1, which start escape sequences and can set the window title, clear the screen or hide links) and
    /// line breaks are shown escaped (`\u{1B}`, `\n`), so one result stays one line and nothing reaches
    /// the terminal raw.
    public static func safe(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where isControl(scalar): out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isControl(_ c: Unicode.Scalar) -> Bool {
        c.value < 0x20 || (0x7F...0x9F).contains(c.value) || c == "\u{2028}" || c == "\u{2029}"
    }

    public func render(_ snippet: Snippet) -> String {
        snippet.pieces.map { $0.highlighted ? highlight(Self.safe($0.text)) : Self.safe($0.text) }.joined()
    }
}

/// The terminal rendering of a search, with memory's explanation: every string from a document or a user
/// goes through `TextStyle.safe`, so no escape sequence in a title, snippet, path or query reaches the terminal.
public struct SearchPrinter {
    let query: String
    let explain: Bool
    let profile: String
    let config: MemoryConfig
    /// Lines of the file to show around each result's line (-C).
    var context = 0
    let style: TextStyle

    public init(query: String, explain: Bool, profile: String, config: MemoryConfig, context: Int = 0, style: TextStyle) {
        (self.query, self.explain, self.profile, self.config, self.context, self.style) = (query, explain, profile, config, context, style)
    }

    public func print(_ response: SearchResponse, memory: MemoryResult?) {
        guard !response.hits.isEmpty else {
            Swift.print("no results for \"\(TextStyle.safe(query))\"")
            return
        }
        for (i, hit) in response.hits.enumerated() {
            let parts = [hit.semantic.map { String(format: "sem %.3f", $0) }, hit.lexical.map { String(format: "lex %.2f", $0) }]
                .compactMap { $0 }.joined(separator: ", ")
            Swift.print("\(style.bold(String(format: "%2d", hit.rank)))  \(style.cyan("\(TextStyle.safe(style.display(hit.path))):\(hit.line)"))  "
                        + String(format: "%.3f", hit.score) + style.dim("  (\(parts))"))
            Swift.print("    \(style.bold(TextStyle.safe(hit.title)))")
            Swift.print("    \(style.render(hit.snippet))")
            if context > 0 { printContext(hit) }
            for p in hit.passages {
                Swift.print("    \(style.cyan(":\(p.line)"))  " + String(format: "%.3f", p.score) + "  \(style.render(p.snippet))")
            }
            if explain, let e = memory?.explanations[safe: i] {
                let was = e.base.rank.map { "rank \($0)" } ?? "unranked"
                Swift.print(style.dim(String(format: "    memory: base %.3f %+.3f → %@ → %d", e.base.score, e.memoryScore, was, e.rank)
                                      + (e.keptReason.map { "  (\($0))" } ?? "")))
                for c in e.contributions.sorted(by: { ($0.refound ? 1 : 0, $0.weight) > ($1.refound ? 1 : 0, $1.weight) }).prefix(3) {
                    // An opened document found again shows its lift; every other contribution its weight, w.
                    let label = TextStyle.safe(MemoryModel.label(kind: c.kind, text: c.text, path: c.path, width: 70))
                    Swift.print(style.dim(String(format: c.refound ? "      lift %.2f  sim %.2f  " : "      w %.2f  sim %.2f  ", c.weight, c.similarity)
                                          + label + (c.refound ? "  (found again)" : "")))
                }
            }
        }
        if explain, let m = memory {
            let active = m.active
            Swift.print(style.dim(active.isEmpty ? "memory: no entry about this topic (profile \(TextStyle.safe(profile)), \(m.entries.count) \(m.entries.count == 1 ? "entry" : "entries"))"
                                                    : "memory: \(active.count) of \(m.entries.count) entries in effect (profile \(TextStyle.safe(profile)))"))
            // The most recent entries first: what the user just did is what they ask about.
            for w in m.entries.reversed().prefix(8) {
                Swift.print(style.dim("  " + TextStyle.safe(MemoryModel.label(kind: w.entry.kind, text: w.entry.text, path: w.entry.path, width: 50))
                                      + ": \(w.why(config))"))
            }
            if m.entries.count > 8 {
                Swift.print(style.dim("  … \(m.entries.count - 8) older \(m.entries.count == 9 ? "entry" : "entries") (engram memory show)"))
            }
        }
    }
}

extension SearchPrinter {
    /// The lines of the passage around the hit's line, the hit's own marked. The passage is the text as
    /// indexed (for HTML, PDF or gzip files, the extracted text its line numbers count).
    func printContext(_ hit: SearchHit) {
        let lines = hit.chunkText.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let at = hit.line - hit.lineStart
        let lo = max(0, at - context), hi = min(lines.count - 1, at + context)
        guard lo <= hi else { return }
        for i in lo...hi {
            Swift.print(style.dim(String(format: "    %@%5d  ", i == at ? ">" : " ", hit.lineStart + i)) + TextStyle.safe(String(lines[i])))
        }
    }
}

extension Array {
    fileprivate subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
