import Foundation

/// The kinds of file Engram reads, by extension.
public enum DocumentType: String, Sendable, CaseIterable {
    case text, markdown, html, code, data, pdf

    static let byExtension: [String: DocumentType] = {
        var map: [String: DocumentType] = [:]
        for e in ["txt", "text", "rst", "org", "adoc", "tex", "log"] { map[e] = .text }
        for e in ["md", "markdown", "mdown", "mkd"] { map[e] = .markdown }
        for e in ["html", "htm", "xhtml"] { map[e] = .html }
        for e in ["swift", "py", "js", "mjs", "ts", "tsx", "jsx", "go", "rs", "c", "h", "cc", "cpp", "cxx", "hpp", "hh",
                  "java", "kt", "kts", "scala", "rb", "sh", "bash", "zsh", "fish", "pl", "pm", "php", "lua", "r", "jl",
                  "m", "mm", "cs", "fs", "hs", "ml", "ex", "exs", "erl", "clj", "sql", "css", "scss", "vue", "svelte",
                  "dart", "zig", "nim", "ps1", "bat", "make", "mk", "cmake", "gradle", "el", "vim"] { map[e] = .code }
        for e in ["json", "jsonl", "csv", "tsv", "yaml", "yml", "toml", "ini", "cfg", "conf", "xml"] { map[e] = .data }
        map["pdf"] = .pdf
        return map
    }()

    /// Files named without an extension that are still text.
    static let byName: [String: DocumentType] = [
        "Makefile": .code, "Dockerfile": .code, "README": .text, "LICENSE": .text, "CHANGELOG": .text,
    ]

    /// The type of the file at `path`, or nil when Engram does not read it.
    public init?(path: String) {
        let name = (path as NSString).lastPathComponent
        let ext = (name as NSString).pathExtension.lowercased()
        if let t = Self.byExtension[ext] { self = t } else if let t = Self.byName[name] { self = t } else { return nil }
    }
}
