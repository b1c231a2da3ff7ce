import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramService
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
            files are recognised by content, deleted files leave the index. Files named without a known type \
            (README, NEWS, *.Debian) are read when their content is text; UTF-16/32 with a byte order mark, an \
            HTML page's declared charset and gzip-compressed text (NEWS.gz) are decoded. Problem files are skipped \
            with one warning line each (binary files only with --verbose); a file or folder that cannot be read \
            keeps its documents until a run can read it.

            One writer at a time: a second `engram index` (or `engram remove`) on the same index waits for the \
            first and says so, or with --no-wait exits 1 at once. Searches go on meanwhile, on the last committed state.

            \(IndexLocation.rule)

            Examples:
              engram index                       # every folder this index was built from, brought up to date
              engram index ~/notes
              engram index ~/notes ~/papers --index ~/search.sqlite --json
            """
    )

    @Argument(help: "Folders or files to index (none: every folder the index was built from).")
    var paths: [String] = []

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

    @Flag(help: "Fail at once if another engram is writing the index, instead of waiting for it.")
    var noWait = false

    @Flag(name: .shortAndLong, help: "No progress bar and no warnings; only the summary.")
    var quiet = false

    @Flag(help: "Name every skipped file, binary ones included (one line each on standard error).")
    var verbose = false

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    func validate() throws {
        guard Self.bytes(maxFileSize) != nil else {
            throw Usage.error("--max-file-size: \"\(maxFileSize)\" is not a size from 1 byte to 1T (try 10M, 500k or 2000000)")
        }
        for p in paths where !FileManager.default.fileExists(atPath: p) {
            throw Usage.error("no such file or folder: \(p)")
        }
    }

    /// A size such as `10M`, `1.5k`, `2G` or `2000000` (bytes), from 1 byte to 1 TiB; nil for anything else
    /// (empty, negative, zero, exponents, inf, nan), so a typo can never become a limit that skips everything.
    static func bytes(_ s: String) -> Int64? {
        var t = Substring(s.trimmingCharacters(in: .whitespaces).uppercased())
        if t.hasSuffix("B") { t = t.dropLast() }
        let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var unit = 1.0
        if let last = t.last, let u = units[last] { unit = u; t = t.dropLast() }
        // Digits and at most one decimal point: Double() alone would also take signs, exponents, inf and nan.
        let isDigit = { (c: Character) in ("0"..."9").contains(c) }
        guard t.count <= 20, t.contains(where: isDigit), t.allSatisfy({ isDigit($0) || $0 == "." }),
              t.filter({ $0 == "." }).count <= 1, let number = Double(t) else { return nil }
        let value = (number * unit).rounded(.down)
        guard value >= 1, value <= 0x1p40 else { return nil }
        return Int64(value)
    }

    func run() async throws {
        let indexPath = IndexLocation.resolve(index)
        let encoder = try PrecisionOption.encoder(model: model, precision: precision)
        // Held for the whole run: a second `engram index` waits here, so batches never interleave.
        let store = try IndexStore(path: indexPath, access: .write(create: true, wait: Stores.waitPolicy(indexPath, noWait: noWait)))
        Stores.adoptMigratedMemory(store)
        let indexer = try Indexer(store: store, encoder: encoder)
        // The format the vectors are computed in (the last run's, for an index built over several runs).
        try store.write { try store.setMeta("precision", encoder.precision.rawValue) }
        let walker = Walker(includeHidden: hidden, maxFileSize: Self.bytes(maxFileSize)!)
        var total = IndexSummary()
        let progress = Progress(enabled: !quiet && !json, label: "indexing")
        let started = Date()
        let known = try store.roots()
        guard !paths.isEmpty || !known.isEmpty else {
            throw Usage.error("no folder given, and \(indexPath) records none: engram index FOLDER")
        }
        for path in paths.isEmpty ? known : paths {
            // A known root that is gone is said, not indexed: its documents stay until `engram remove`.
            guard FileManager.default.fileExists(atPath: path) else {
                Terminal.warn("\(path) is gone; its documents stay in the index until `engram remove \(path)`")
                continue
            }
            let summary = try indexer.index(folder: path, walker: walker, warn: { w in
                // Binary files are normal in any folder: counted, and named only when asked.
                guard !quiet, verbose || w.skip != .binary else { return }
                progress.finish()
                Terminal.warn("\(w.kind.rawValue) \(w.path): \(w.reason)")
            }, progress: { p in
                let rate = Double(p.chunksEmbedded) / max(Date().timeIntervalSince(started), 0.001)
                progress.update(done: p.filesDone, total: p.filesTotal,
                                extra: String(format: "files, %d chunks, %.0f chunks/s", p.chunksEmbedded, rate))
            })
            total.add(summary)
            let root = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
            try store.write { try store.addRoot(root) }
        }
        progress.finish()
        store.refreshSearchSegment(warn: Terminal.warn)
        total.seconds = Date().timeIntervalSince(started)
        if json {
            try printJSON(IndexReport(index: indexPath, summary: total))
        } else {
            print(String(format: "added %d, updated %d, unchanged %d, moved %d, removed %d, skipped %d, errors %d, chunks embedded %d, %.1f s",
                         total.added, total.updated, total.unchanged, total.moved, total.removed, total.skipped, total.errors,
                         total.chunksEmbedded, total.seconds))
            if total.skipped > 0 { print("skipped \(total.skipped): \(total.skippedBreakdown)") }
        }
    }
}

extension IndexSummary {
    mutating func add(_ o: IndexSummary) {
        added += o.added; updated += o.updated; unchanged += o.unchanged; moved += o.moved; removed += o.removed
        skipped += o.skipped; errors += o.errors; unsupported += o.unsupported
        skippedReasons.merge(o.skippedReasons, uniquingKeysWith: +)
        chunksEmbedded += o.chunksEmbedded; chunksReused += o.chunksReused
    }
}
