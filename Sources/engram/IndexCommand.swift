import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramStore
import EngramText
import Foundation

struct IndexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Index folders (or files) so they can be searched.",
        discussion: """
            Walks each PATH recursively, honouring .gitignore and .engramignore, and indexes text, Markdown, \
            reStructuredText, Org, HTML, source code, JSON/CSV/TSV/YAML and (with pdftotext) PDF files. Running it \
            again is cheap: unchanged files cost a stat, edited files re-embed only their changed passages, renamed \
            files are recognised by content, deleted files leave the index. Problem files are skipped with one \
            warning line each.

            \(IndexLocation.rule)

            Examples:
              engram index ~/notes
              engram index ~/notes ~/papers --index ~/search.sqlite --json
            """
    )

    @Argument(help: "Folders or files to index.")
    var paths: [String]

    @Option(help: "Index file.")
    var index: String?

    @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
    var model: String?

    @Option(help: PrecisionOption.help)
    var precision: Precision = .auto

    @Flag(help: "Include hidden files and folders.")
    var hidden = false

    @Option(help: "Skip files larger than this (bytes, or with k/M/G).")
    var maxFileSize: String = "10M"

    @Flag(name: .shortAndLong, help: "No progress bar and no warnings; only the summary.")
    var quiet = false

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    func validate() throws {
        guard Self.bytes(maxFileSize) != nil else { throw ValidationError("--max-file-size: cannot read \"\(maxFileSize)\" (try 10M)") }
        for p in paths where !FileManager.default.fileExists(atPath: p) {
            throw ValidationError("no such file or folder: \(p)")
        }
    }

    static func bytes(_ s: String) -> Int64? {
        let t = s.trimmingCharacters(in: .whitespaces).uppercased().replacingOccurrences(of: "B", with: "")
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        if let last = t.last, let unit = units[last] { return Double(t.dropLast()).map { Int64($0 * Double(unit)) } }
        return Int64(t)
    }

    func run() async throws {
        let indexPath = IndexLocation.resolve(index)
        let encoder = try PrecisionOption.encoder(model: model, precision: precision)
        let store = try IndexStore(path: indexPath, create: true)
        let indexer = try Indexer(store: store, encoder: encoder)
        // The format the vectors are computed in (the last run's, for an index built over several runs).
        try store.setMeta("precision", encoder.precision.rawValue)
        let walker = Walker(includeHidden: hidden, maxFileSize: Self.bytes(maxFileSize)!)
        var total = IndexSummary()
        let progress = Progress(enabled: !quiet && !json, label: "indexing")
        let started = Date()
        for path in paths {
            let summary = try indexer.index(folder: path, walker: walker, warn: { w in
                guard !quiet else { return }
                progress.finish()
                Terminal.warn("\(w.kind.rawValue) \(w.path): \(w.reason)")
            }, progress: { p in
                let rate = Double(p.chunksEmbedded) / max(Date().timeIntervalSince(started), 0.001)
                progress.update(done: p.filesDone, total: p.filesTotal,
                                extra: String(format: "files, %d chunks, %.0f chunks/s", p.chunksEmbedded, rate))
            })
            total.add(summary)
        }
        progress.finish()
        total.seconds = Date().timeIntervalSince(started)
        if json {
            try printJSON(IndexReport(index: indexPath, summary: total))
        } else {
            print(String(format: "added %d, updated %d, unchanged %d, moved %d, removed %d, skipped %d, errors %d, chunks embedded %d, %.1f s",
                         total.added, total.updated, total.unchanged, total.moved, total.removed, total.skipped, total.errors,
                         total.chunksEmbedded, total.seconds))
        }
    }
}

struct IndexReport: Encodable {
    let index: String
    let summary: IndexSummary

    func encode(to encoder: Encoder) throws {
        try summary.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(index, forKey: Key("index"))
    }
}

/// A JSON key made at run time.
struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension IndexSummary {
    mutating func add(_ o: IndexSummary) {
        added += o.added; updated += o.updated; unchanged += o.unchanged; moved += o.moved; removed += o.removed
        skipped += o.skipped; errors += o.errors; unsupported += o.unsupported
        chunksEmbedded += o.chunksEmbedded; chunksReused += o.chunksReused
    }
}
