import EngramEngine
import EngramMemory
import Foundation

/// `engram search --json` (and `engram serve`'s /search, `engram mcp`'s search): {"query", "mode", "results": [...], "timings_ms": {...}, "memory": {...}}.
struct SearchOutput: Encodable {
    struct Result: Encodable {
        struct Scores: Encodable {
            let semantic: Double?
            let lexical: Double?
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(semantic, forKey: Key("semantic"))
                try c.encode(lexical, forKey: Key("lexical"))
            }
        }
        let rank: Int
        let path: String
        let line: Int
        let line_end: Int
        let score: Double
        let scores: Scores
        let title: String
        let snippet: String
        let chunk: String
        /// With --per-file above 1: the file's further passages, best first.
        let passages: [PassageOutput]?
    }
    struct PassageOutput: Encodable {
        let line: Int
        let line_end: Int
        let score: Double
        let snippet: String
        let chunk: String
    }
    let query: String
    let mode: String
    let results: [Result]
    let timings_ms: [String: Double]
    let memory: MemoryOutput?

    init(_ r: SearchResponse, memory m: MemoryResult? = nil, profile: String = "default", config: MemoryConfig = MemoryConfig()) {
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
struct MemoryOutput: Encodable {
    struct Entry: Encodable {
        let id: Int64
        let kind: String
        let text: String
        let path: String?
        let weight: Double
        let decay: Double
        let gate: Double
        let similarity: Double
        /// The cosine the guard asks of this entry for this query (its threshold, calibrated to the index).
        let required_similarity: Double
        let age_seconds: Double
        let searches_since: Int
        let active: Bool
        /// Why it is, or is not, in effect, in words.
        let why: String
    }
    struct Contribution: Encodable {
        let entry: Int64
        let weight: Double
        let similarity: Double
    }
    struct Result: Encodable {
        let rank: Int
        let base_rank: Int?
        let base_score: Double
        let memory_score: Double
        let contributions: [Contribution]
    }
    let profile: String
    let entries: [Entry]
    let results: [Result]

    init(_ m: MemoryResult, profile: String, config: MemoryConfig) {
        self.profile = profile
        let floor = Set(m.active.map(\.entry.id))
        entries = m.entries.map {
            Entry(id: $0.entry.id, kind: $0.entry.kind, text: $0.entry.text, path: $0.entry.path, weight: $0.weight, decay: $0.decay,
                  gate: $0.gate, similarity: $0.similarity, required_similarity: $0.requiredCosine(config), age_seconds: $0.ageSeconds, searches_since: $0.searchesSince,
                  active: floor.contains($0.entry.id), why: $0.why(config))
        }
        results = m.explanations.map { e in
            Result(rank: e.rank, base_rank: e.base.rank, base_score: e.base.score, memory_score: e.memoryScore,
                   contributions: e.contributions.map { Contribution(entry: $0.entryID, weight: $0.weight, similarity: $0.similarity) })
        }
    }
}

/// The terminal rendering of a search: every string from a document or a user goes through
/// `Terminal.safe`, so no escape sequence in a title, snippet, path or query reaches the terminal.
struct SearchPrinter {
    let query: String
    let explain: Bool
    let profile: String
    let config: MemoryConfig
    /// Lines of the file to show around each result's line (-C).
    var context = 0

    func print(_ response: SearchResponse, memory: MemoryResult?) {
        guard !response.hits.isEmpty else {
            Swift.print("no results for \"\(Terminal.safe(query))\"")
            return
        }
        for (i, hit) in response.hits.enumerated() {
            let parts = [hit.semantic.map { String(format: "sem %.3f", $0) }, hit.lexical.map { String(format: "lex %.2f", $0) }]
                .compactMap { $0 }.joined(separator: ", ")
            Swift.print("\(Terminal.bold(String(format: "%2d", hit.rank)))  \(Terminal.cyan("\(Terminal.safe(Terminal.display(hit.path))):\(hit.line)"))  "
                        + String(format: "%.3f", hit.score) + Terminal.dim("  (\(parts))"))
            Swift.print("    \(Terminal.bold(Terminal.safe(hit.title)))")
            Swift.print("    \(Terminal.render(hit.snippet))")
            if context > 0 { printContext(hit) }
            for p in hit.passages {
                Swift.print("    \(Terminal.cyan(":\(p.line)"))  " + String(format: "%.3f", p.score) + "  \(Terminal.render(p.snippet))")
            }
            if explain, let e = memory?.explanations[safe: i] {
                let was = e.base.rank.map { "rank \($0)" } ?? "unranked"
                Swift.print(Terminal.dim(String(format: "    memory: base %.3f %+.3f → %@ → %d", e.base.score, e.memoryScore, was, e.rank)))
                for c in e.contributions.sorted(by: { $0.weight > $1.weight }).prefix(3) {
                    Swift.print(Terminal.dim(String(format: "      w %.2f  sim %.2f  ", c.weight, c.similarity) + "\"\(Terminal.safe(String(c.text.prefix(70))))\""))
                }
            }
        }
        if explain, let m = memory {
            let active = m.active
            Swift.print(Terminal.dim(active.isEmpty ? "memory: no entry about this topic (profile \(Terminal.safe(profile)), \(m.entries.count) entries)"
                                                    : "memory: \(active.count) of \(m.entries.count) entries in effect (profile \(Terminal.safe(profile)))"))
            // The most recent entries first: what the user just did is what they ask about.
            for w in m.entries.reversed().prefix(8) {
                Swift.print(Terminal.dim("  \"\(Terminal.safe(String(w.entry.text.prefix(50))))\": \(w.why(config))"))
            }
            if m.entries.count > 8 { Swift.print(Terminal.dim("  … \(m.entries.count - 8) older entries (engram memory show)")) }
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
            Swift.print(Terminal.dim(String(format: "    %@%5d  ", i == at ? ">" : " ", hit.lineStart + i)) + Terminal.safe(String(lines[i])))
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
