import Foundation

/// Markdown tables that render on GitHub.
public enum MarkdownReport {
    public static func render(_ r: Report) -> String {
        var m = "# \(cell(r.title))\n\nProfile **\(cell(r.profile))**, index `\(r.index)`, \(r.generated_at), top \(r.n).\n\n"
        m += "| queries | results moved | mean \\|Δrank\\| | top 3 changed |\n|---:|---:|---:|---:|\n"
        m += "| \(r.summary.queries) | \(r.summary.results_moved) | \(String(format: "%.2f", r.summary.mean_abs_delta_rank)) | \(r.summary.queries_top3_changed) |\n"
        for q in r.queries {
            m += "\n## “\(cell(q.query))”\n\nSearched \(q.at)\(q.top3_changed ? "; **top 3 changed**" : "").\n\n"
            m += "| # | Δ | document | score | semantic | lexical | memory | rank without memory |\n|---:|:---:|---|---:|---:|---:|---:|---:|\n"
            for x in q.results {
                let d = x.new_to_top ? "new" : (x.delta.map { $0 > 0 ? "↑\($0)" : ($0 < 0 ? "↓\(-$0)" : "=") } ?? "new")
                m += "| \(x.rank) | \(d) | \(cell(x.title)) (`\(cell(x.path)):\(x.line)`) | \(f(x.score)) | \(f(x.semantic)) | \(f(x.lexical)) | \(String(format: "%+.3f", x.memory)) | \(x.base_rank.map(String.init) ?? "–") |\n"
            }
            if q.entries.isEmpty {
                m += "\nNo memory entry was about this topic.\n"
            } else {
                m += "\n| memory entry | kind | weight | age (s) | searches since |\n|---|---|---:|---:|---:|\n"
                for e in q.entries {
                    m += "| \(cell(String(e.text.prefix(120)))) | \(e.kind) | \(f(e.weight)) | \(Int(e.age_seconds)) | \(e.searches_since) |\n"
                }
            }
        }
        return m
    }

    /// Escapes what would break a table cell or inject markup.
    static func cell(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "`", with: "'")
    }

    static func f(_ v: Double) -> String { String(format: "%.3f", v) }
}

/// One row per (query, result), RFC 4180 quoting, CRLF line ends. Text cells from documents and users
/// (query, path, title) that a spreadsheet would run as a formula are neutralised (OWASP's CSV
/// injection rule): a cell beginning with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`, quoted.
public enum CSVReport {
    public static let header = ["query", "rank", "base_rank", "delta", "new_to_top", "path", "line", "title", "score", "semantic", "lexical", "memory"]

    public static func render(_ r: Report) -> String {
        var rows = [header]
        for q in r.queries {
            for x in q.results {
                rows.append([inert(q.query), String(x.rank), x.base_rank.map(String.init) ?? "", x.delta.map(String.init) ?? "",
                             x.new_to_top ? "true" : "false", inert(x.path), String(x.line), inert(x.title),
                             "\(x.score)", "\(x.semantic)", "\(x.lexical)", "\(x.memory)"])
            }
        }
        return rows.map { $0.map(quote).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// A text cell that no spreadsheet evaluates.
    static func inert(_ field: String) -> String {
        guard let first = field.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) else { return field }
        return "'" + field
    }

    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "'" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// The report as JSON: keys sorted, so the field order is stable (schema: docs/report.schema.json).
public enum JSONReport {
    public static func render(_ r: Report) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(r), as: UTF8.self) + "\n"
    }
}
