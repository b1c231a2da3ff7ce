import Foundation

/// One self-contained HTML page: inline CSS and SVG, no scripts, fonts or images from anywhere,
/// light and dark (`prefers-color-scheme`), readable in print. All document text is escaped.
public enum HTMLReport {
    public static func render(_ r: Report) -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(esc(r.title))</title>
            <style>\(css)</style></head><body>
            <header><h1>\(esc(r.title))</h1>
            <p class="meta">profile <b>\(esc(r.profile))</b> · index \(esc(r.index)) · \(esc(r.generated_at)) · top \(r.n)</p></header>
            <section class="summary" id="summary"><h2>Summary</h2><dl>
            <div><dt>queries</dt><dd>\(r.summary.queries)</dd></div>
            <div><dt>results moved</dt><dd>\(r.summary.results_moved)</dd></div>
            <div><dt>mean |Δrank|</dt><dd>\(fmt(r.summary.mean_abs_delta_rank, 2))</dd></div>
            <div><dt>top 3 changed</dt><dd>\(r.summary.queries_top3_changed) of \(r.summary.queries)</dd></div>
            </dl>
            <figure><figcaption>Memory entries by age (log scale; half-life H = \(duration(r.half_life_seconds)))</figcaption>
            \(decayCurve(r))</figure></section>

            """
        // The queries memory changed come first, in full; the rest fit on one line.
        let unchanged = r.queries.filter { !$0.changed }
        if !unchanged.isEmpty {
            h += "<section class=\"unchanged\"><p class=\"meta\">Memory changed nothing for \(unchanged.count) of \(r.queries.count) "
                + "quer\(unchanged.count == 1 ? "y" : "ies"): " + unchanged.map { "“\(esc($0.query))”" }.joined(separator: ", ") + ".</p></section>\n"
        }
        for (i, q) in r.queries.enumerated() where q.changed {
            h += """
                <section class="query" id="q\(i + 1)"><h2>“\(esc(q.query))”</h2><p class="meta">searched \(esc(q.at))\(q.top3_changed ? " · <b>top 3 changed</b>" : "")</p>
                <div class="grid"><div><h3>With memory</h3>\(resultsTable(q))</div>
                <div><h3>Without memory</h3>\(baselineTable(q))</div></div>
                <div class="grid"><figure><figcaption>Score parts per result</figcaption>\(stackedBars(q))</figure>
                <figure><figcaption>Rank without → with memory</figcaption>\(slopeChart(q, n: r.n))</figure></div>
                \(entriesTable(q))\(leftOutList(q))</section>

                """
        }
        h += "<footer>Made by engram report. Score parts: semantic and lexical are the hybrid ranker's shares without memory; memory is what the profile's recent searches added.</footer></body></html>\n"
        return h
    }

    static let css = """
        :root{--fg:#1d2330;--muted:#5b6475;--bg:#fff;--card:#f4f6fa;--line:#d9dee8;--sem:#3b6fd8;--lex:#e0982b;--mem:#2a9d6b;--neg:#c94343}
        @media (prefers-color-scheme: dark){:root{--fg:#e6e9f0;--muted:#9aa3b5;--bg:#14171d;--card:#1d222b;--line:#333b48;--sem:#6f9bf0;--lex:#f0b35a;--mem:#4fc890;--neg:#ef7373}}
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);max-width:1100px;margin:2rem auto;padding:0 1rem}
        h1{font-size:1.6rem;margin:0} h2{font-size:1.2rem;margin-top:2rem} h3{font-size:1rem;color:var(--muted)}
        .meta{color:var(--muted);font-size:.9rem} section{border-top:1px solid var(--line);padding-top:.5rem}
        dl{display:flex;gap:1rem;flex-wrap:wrap} dl div{background:var(--card);padding:.5rem 1rem;border-radius:8px} dt{color:var(--muted);font-size:.8rem} dd{margin:0;font-size:1.4rem;font-weight:600}
        table{border-collapse:collapse;width:100%;font-size:.88rem} th,td{text-align:left;padding:.25rem .4rem;border-bottom:1px solid var(--line);vertical-align:top}
        td.num{text-align:right;font-variant-numeric:tabular-nums} .up{color:var(--mem)} .down{color:var(--neg)} .new{color:var(--mem);font-weight:600}
        .grid{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem} @media (max-width:800px){.grid{grid-template-columns:1fr}}
        figure{margin:1rem 0} figcaption{color:var(--muted);font-size:.85rem;margin-bottom:.3rem} svg{max-width:100%;height:auto}
        svg text{fill:var(--fg);font-size:11px} svg .axis{stroke:var(--line)} .sem{fill:var(--sem)} .lex{fill:var(--lex)} .mem{fill:var(--mem)} .memneg{fill:var(--neg)}
        .slope line{stroke:var(--muted);stroke-width:1.5} .slope line.same{stroke:var(--muted)} .slope line.up{stroke:var(--mem)} .slope line.down{stroke:var(--neg)} .curve{fill:none;stroke:var(--sem);stroke-width:2} .dot{fill:var(--mem)}
        .path{color:var(--muted);font-size:.8rem;word-break:break-all} footer{color:var(--muted);font-size:.8rem;margin:2rem 0}
        @media print{body{margin:0;max-width:none;color:#000;background:#fff} section{break-inside:avoid} .grid{grid-template-columns:1fr 1fr}}
        """

    static func resultsTable(_ q: Report.Query) -> String {
        var t = "<table class=\"results\"><thead><tr><th>#</th><th>Δ</th><th>document</th><th>score</th><th title=\"cosine of the best passage, as in the terminal\">sem</th><th title=\"BM25 of the best passage, as in the terminal\">lex</th><th>mem</th></tr></thead><tbody>"
        for r in q.results {
            t += "<tr class=\"result\" data-rank=\"\(r.rank)\"><td class=\"num\">\(r.rank)</td><td>\(arrow(r))</td>"
            t += "<td><span class=\"title\">\(esc(r.title))</span><br><span class=\"path\">\(esc(r.path)):\(r.line)</span></td>"
            t += "<td class=\"num\">\(fmt(r.score, 3))</td><td class=\"num\">\(r.cosine.map { fmt($0, 3) } ?? "–")</td>"
                + "<td class=\"num\">\(r.bm25.map { fmt($0, 2) } ?? "–")</td><td class=\"num\">\(fmt(r.memory, 3, signed: true))</td></tr>"
        }
        return t + "</tbody></table>"
    }

    static func baselineTable(_ q: Report.Query) -> String {
        var t = "<table class=\"baseline\"><thead><tr><th>#</th><th>document</th><th>score</th></tr></thead><tbody>"
        for b in q.baseline {
            t += "<tr><td class=\"num\">\(b.rank)</td><td><span class=\"title\">\(esc(b.title))</span><br><span class=\"path\">\(esc(b.path))</span></td><td class=\"num\">\(fmt(b.score, 3))</td></tr>"
        }
        return t + "</tbody></table>"
    }

    static func entriesTable(_ q: Report.Query) -> String {
        guard !q.entries.isEmpty else { return "<p class=\"meta\">No memory entry was about this topic: the ranking is the one without memory.</p>" }
        var t = "<h3>Memory entries in effect</h3><table class=\"entries\"><thead><tr><th>weight</th><th>kind</th><th>age</th><th>searches since</th><th>text</th></tr></thead><tbody>"
        for e in q.entries {
            t += "<tr><td class=\"num\">\(fmt(e.weight, 3))</td><td>\(esc(e.kind))</td><td>\(duration(e.age_seconds))</td><td class=\"num\">\(e.searches_since)</td><td>\(esc(String(e.text.prefix(160))))</td></tr>"
        }
        return t + "</tbody></table>"
    }

    static func leftOutList(_ q: Report.Query) -> String {
        guard !q.left_out.isEmpty else { return "" }
        return "<h3>Earlier searches left out</h3><ul class=\"leftout\">"
            + q.left_out.map { "<li>“\(esc(String($0.text.prefix(120))))”: \(esc($0.why))</li>" }.joined() + "</ul>"
    }

    static func arrow(_ r: Report.Result) -> String {
        if r.new_to_top { return "<span class=\"new\">new</span>" }
        guard let d = r.delta, d != 0 else { return "=" }
        return d > 0 ? "<span class=\"up\">↑\(d)</span>" : "<span class=\"down\">↓\(-d)</span>"
    }

    /// Horizontal stacked bars: semantic + lexical (without memory) + memory's part (negative drawn leftwards in red).
    static func stackedBars(_ q: Report.Query) -> String {
        let rowH = 22.0, left = 40.0, width = 420.0
        let maxTotal = max(q.results.map { $0.semantic + $0.lexical + max($0.memory, 0) }.max() ?? 1, 1e-9)
        let scale = (width - left - 10) / maxTotal
        let height = Double(q.results.count) * rowH + 30
        var s = "<svg class=\"bars\" role=\"img\" aria-label=\"score parts\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"\(Int(width))\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        for (i, r) in q.results.enumerated() {
            let y = Double(i) * rowH + 4
            var x = left
            s += "<text x=\"4\" y=\"\(fmt(y + 14, 1))\">#\(r.rank)</text>"
            for (cls, v) in [("sem", r.semantic), ("lex", r.lexical), ("mem", r.memory)] where v > 0 {
                s += "<rect class=\"\(cls)\" x=\"\(fmt(x, 1))\" y=\"\(fmt(y, 1))\" width=\"\(fmt(v * scale, 1))\" height=\"16\"><title>\(cls) \(fmt(v, 3))</title></rect>"
                x += v * scale
            }
            if r.memory < 0 {
                let w = min(-r.memory * scale, x - left)
                s += "<rect class=\"memneg\" x=\"\(fmt(x - w, 1))\" y=\"\(fmt(y + 12, 1))\" width=\"\(fmt(w, 1))\" height=\"4\"><title>memory \(fmt(r.memory, 3))</title></rect>"
            }
        }
        let ly = height - 10
        s += "<rect class=\"sem\" x=\"\(Int(left))\" y=\"\(fmt(ly - 9, 1))\" width=\"10\" height=\"10\"/><text x=\"\(Int(left) + 14)\" y=\"\(fmt(ly, 1))\">semantic</text>"
        s += "<rect class=\"lex\" x=\"\(Int(left) + 90)\" y=\"\(fmt(ly - 9, 1))\" width=\"10\" height=\"10\"/><text x=\"\(Int(left) + 104)\" y=\"\(fmt(ly, 1))\">lexical</text>"
        s += "<rect class=\"mem\" x=\"\(Int(left) + 170)\" y=\"\(fmt(ly - 9, 1))\" width=\"10\" height=\"10\"/><text x=\"\(Int(left) + 184)\" y=\"\(fmt(ly, 1))\">memory</text>"
        s += "<rect class=\"memneg\" x=\"\(Int(left) + 250)\" y=\"\(fmt(ly - 9, 1))\" width=\"10\" height=\"10\"/><text x=\"\(Int(left) + 264)\" y=\"\(fmt(ly, 1))\">lowered by memory</text>"
        return s + "</svg>"
    }

    /// Slope chart: each result's rank without memory (left) to its rank with memory (right). Ranks past
    /// the chart's foot share one row, so their labels are joined there rather than drawn over each other.
    static func slopeChart(_ q: Report.Query, n: Int) -> String {
        let rowH = 22.0, top = 20.0, x0 = 60.0, x1 = 260.0
        let lowest = max(n, q.results.compactMap(\.base_rank).filter { $0 <= n + 5 }.max() ?? n)
        let height = top + Double(lowest + 1) * rowH + 24
        func y(_ rank: Int) -> Double { top + Double(rank - 1) * rowH + 6 }
        var s = "<svg class=\"slope\" role=\"img\" aria-label=\"rank changes\" viewBox=\"0 0 320 \(Int(height))\" width=\"320\" height=\"\(Int(height))\" xmlns=\"http://www.w3.org/2000/svg\">"
        s += "<text x=\"\(Int(x0) - 50)\" y=\"12\">without</text><text x=\"\(Int(x1) + 6)\" y=\"12\">with</text>"
        s += "<line class=\"axis\" x1=\"\(Int(x0))\" y1=\"\(Int(top))\" x2=\"\(Int(x0))\" y2=\"\(Int(height - 28))\"/><line class=\"axis\" x1=\"\(Int(x1))\" y1=\"\(Int(top))\" x2=\"\(Int(x1))\" y2=\"\(Int(height - 28))\"/>"
        var leftLabels: [Int: [String]] = [:]
        for r in q.results {
            let from = min(r.base_rank ?? (lowest + 1), lowest + 1)
            let cls = from > r.rank ? "up" : (from < r.rank ? "down" : "same")
            s += "<line class=\"\(cls)\" x1=\"\(Int(x0))\" y1=\"\(fmt(y(from), 1))\" x2=\"\(Int(x1))\" y2=\"\(fmt(y(r.rank), 1))\"><title>\(esc(r.title)): \(r.base_rank.map(String.init) ?? "unranked") → \(r.rank)</title></line>"
            s += "<text x=\"\(Int(x1) + 6)\" y=\"\(fmt(y(r.rank) + 4, 1))\">\(r.rank)</text>"
            leftLabels[from, default: []].append(r.base_rank.map(String.init) ?? "–")
        }
        for (row, labels) in leftLabels {
            let text = labels.count > 2 ? "\(labels[0])…" : labels.joined(separator: ",")
            s += "<text class=\"rank\" text-anchor=\"end\" x=\"\(Int(x0) - 6)\" y=\"\(fmt(y(row) + 4, 1))\"><title>\(labels.joined(separator: ", "))</title>\(text)</text>"
        }
        let ly = height - 8
        for (i, (cls, label)) in [("up", "moved up"), ("down", "moved down"), ("same", "same rank")].enumerated() {
            let x = 10 + i * 100
            s += "<line class=\"\(cls)\" x1=\"\(x)\" y1=\"\(fmt(ly - 4, 1))\" x2=\"\(x + 16)\" y2=\"\(fmt(ly - 4, 1))\"/><text x=\"\(x + 20)\" y=\"\(fmt(ly, 1))\">\(label)</text>"
        }
        return s + "</svg>"
    }

    /// The weight each entry in effect had when it acted (time decay, searches since and the topic guard
    /// together), over its age on a log scale from ten seconds to three half-lives, with the time decay
    /// alone, 2^(−t/H), drawn for reference.
    static func decayCurve(_ r: Report) -> String {
        let w = 520.0, h = 200.0, left = 40.0, bottom = 150.0, top = 10.0
        let t0 = 10.0, t1 = max(3 * r.half_life_seconds, 100)
        let entries = Dictionary(r.queries.flatMap(\.entries).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }).values
        let maxWeight = max(1, entries.map(\.weight).max() ?? 1)
        func px(_ t: Double) -> Double { left + (log(max(t, t0) / t0) / log(t1 / t0)) * (w - left - 30) }
        func py(_ v: Double) -> Double { bottom - min(max(v, 0), maxWeight) / maxWeight * (bottom - top) }
        var points: [String] = []
        for i in 0...60 {
            let t = t0 * pow(t1 / t0, Double(i) / 60)
            points.append("\(fmt(px(t), 1)),\(fmt(py(pow(2, -t / r.half_life_seconds)), 1))")
        }
        var s = "<svg class=\"decay\" role=\"img\" aria-label=\"memory decay\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" width=\"\(Int(w))\" height=\"\(Int(h))\" xmlns=\"http://www.w3.org/2000/svg\">"
        s += "<line class=\"axis\" x1=\"\(Int(left))\" y1=\"\(Int(bottom))\" x2=\"\(Int(w - 10))\" y2=\"\(Int(bottom))\"/><line class=\"axis\" x1=\"\(Int(left))\" y1=\"\(Int(top))\" x2=\"\(Int(left))\" y2=\"\(Int(bottom))\"/>"
        s += "<polyline class=\"curve\" points=\"\(points.joined(separator: " "))\"/>"
        for (t, label) in [(10.0, "10 s"), (60, "1 min"), (3600, "1 h"), (r.half_life_seconds, "H"), (t1, "3H")] where t <= t1 {
            s += "<text x=\"\(fmt(px(t) - 8, 1))\" y=\"\(Int(bottom + 16))\">\(label)</text>"
        }
        s += "<text x=\"4\" y=\"\(Int(top + 8))\">\(fmt(maxWeight, 1))</text><text x=\"4\" y=\"\(Int(bottom))\">0</text>"
        for e in entries.sorted(by: { $0.id < $1.id }) {
            s += "<circle class=\"dot\" cx=\"\(fmt(px(e.age_seconds), 1))\" cy=\"\(fmt(py(e.weight), 1))\" r=\"4\"><title>\(esc(String(e.text.prefix(80)))): weight \(fmt(e.weight, 3)), \(duration(e.age_seconds)) old, \(e.searches_since) searches since</title></circle>"
        }
        let ly = h - 8
        s += "<line class=\"curve\" x1=\"\(Int(left))\" y1=\"\(fmt(ly - 4, 1))\" x2=\"\(Int(left) + 16)\" y2=\"\(fmt(ly - 4, 1))\"/><text x=\"\(Int(left) + 20)\" y=\"\(fmt(ly, 1))\">time decay alone, 2^(−t/H)</text>"
        s += "<circle class=\"dot\" cx=\"\(Int(left) + 220)\" cy=\"\(fmt(ly - 4, 1))\" r=\"4\"/><text x=\"\(Int(left) + 230)\" y=\"\(fmt(ly, 1))\">an entry in effect, at the weight it had</text>"
        return s + "</svg>"
    }

    /// HTML-escapes text for element content and attribute values.
    public static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static func fmt(_ v: Double, _ digits: Int, signed: Bool = false) -> String {
        String(format: signed ? "%+.\(digits)f" : "%.\(digits)f", v)
    }

    static func duration(_ s: Double) -> String {
        let s = max(0, s)
        if s < 90 { return "\(Int(s)) s" }
        if s < 5400 { return "\(Int(s / 60)) min" }
        if s < 129_600 { return String(format: "%.1f h", s / 3600) }
        return String(format: "%.1f d", s / 86_400)
    }
}
