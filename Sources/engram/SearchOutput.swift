import EngramEngine
import EngramMemory
import Foundation

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
