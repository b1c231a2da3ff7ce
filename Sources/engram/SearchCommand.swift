import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramService
import EngramMemory
import EngramStore
import EngramText
import Foundation

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search an index by meaning and by words.",
        discussion: """
            Modes: hybrid (default) blends semantic similarity with BM25; semantic ranks by meaning only; lexical by \
            words only. A document scores as its best passage; each result shows the passage's first line.

            Memory: every search is remembered (per --profile, in your own $ENGRAM_HOME/memory.sqlite, never in the \
            index) and the next searches are re-ranked with what you were just looking for, fading with time \
            (--half-life) and with later searches. A topic guard keeps searches about something else from pulling \
            results their way. --explain shows what memory did; --no-memory neither reads nor writes memory; \
            --incognito reads it but records nothing. Searching only reads the index: it works on an index you may \
            only read, and while another engram indexes it.

            \(IndexLocation.rule)

            Examples:
              engram search "how do tides work"
              engram search "retry with backoff" --type swift --type go -n 5
              engram search "budget" --path "*/2024/*" --since 2024-06-01 --json
              engram search "tides" --explain
              $EDITOR $(engram open 2 --editor-args)   # open result 2, remembered
            """
    )

    @Argument(help: "The query (several words are joined), then optionally folders to search in (an argument that names an existing folder, such as ~/notes or ./docs).")
    var query: [String]

    @Option(help: "Index file.")
    var index: String?

    @Option(name: .shortAndLong, help: "Number of results (1…1000).")
    var n = 10

    @Option(help: "hybrid, semantic or lexical.")
    var mode: SearchMode = .hybrid

    @Option(help: "Only paths matching this glob (a glob without / matches the file name).")
    var path: String?

    @Option(help: "Only these file types (extension such as md or py, or a kind such as code, html, pdf); repeatable.")
    var type: [String] = []

    @Option(help: "Only documents modified on or after this date (YYYY-MM-DD or ISO 8601).")
    var since: String?

    @Option(help: "Memory profile.")
    var profile = "default"

    @Flag(help: "Neither read nor record memory.")
    var noMemory = false

    @Flag(help: "Use memory but record nothing.")
    var incognito = false

    @Flag(help: "Show, per result, the base score, memory's part, the rank without memory and the entries that contributed.")
    var explain = false

    @Option(help: "Half-life of memory entries (e.g. 1d, 2h, 30m; default 1d or the config file's half_life).")
    var halfLife: String?

    @Option(help: "Run as if at this time (ISO 8601), for replaying sessions.")
    var at: String?

    @OptionGroup(visibility: .hidden) var tuning: RankingOptions

    @OptionGroup(visibility: .hidden) var memoryTuning: MemoryTuning

    @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
    var model: String?

    @Option(help: "Passages shown per file, best first (1…10).")
    var perFile = 1

    @Option(name: [.customShort("C"), .customLong("context")], help: "Lines of the file to show around each result's line.")
    var context = 0

    @Flag(name: [.customShort("l"), .customLong("paths")], help: "Print only the results' paths, one per line.")
    var paths = false

    @Flag(help: "Score every chunk's vector instead of searching the vector graph (the default from 50,000 chunks).")
    var exact = false

    @Flag(help: "Print one JSON object (with memory's explanation when memory is on).")
    var json = false

    @Flag(help: "Print one JSON object per result, one per line (the objects of --json's \"results\").")
    var jsonl = false

    func validate() throws {
        guard !query.joined().trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw Usage.error("the query is empty") }
        guard (1...1000).contains(n) else { throw Usage.error("-n must be between 1 and 1000 (got \(n))") }
        try Validate.path(index, flag: "--index")
        if let path, path.isEmpty { throw Usage.error("--path: the glob is empty") }
        if let since, DateParsing.parse(since) == nil { throw Usage.error("--since: cannot read date \"\(since)\" (use YYYY-MM-DD)") }
        if let at, DateParsing.parse(at) == nil { throw Usage.error("--at: cannot read time \"\(at)\" (use ISO 8601, e.g. 2026-01-05T10:00:00Z)") }
        if let halfLife, MemoryConfig.duration(halfLife) == nil {
            throw Usage.error("--half-life: cannot read \"\(halfLife)\" (try 1d, 2h, 30m or seconds)")
        }
        if noMemory && explain { throw Usage.error("--explain shows what memory did; it cannot go with --no-memory") }
        guard (0...100).contains(context) else { throw Usage.error("-C must be between 0 and 100 (got \(context))") }
        guard (1...10).contains(perFile) else { throw Usage.error("--per-file must be between 1 and 10 (got \(perFile))") }
        if [json, jsonl, paths].filter({ $0 }).count > 1 { throw Usage.error("choose one of --json, --jsonl and -l") }
    }

    /// Trailing arguments that name existing folders (written as paths: with a slash, or starting with ~ or .)
    /// restrict the search to them; the rest is the query.
    var split: (words: [String], folders: [String]) {
        var words = query, folders: [String] = []
        while words.count > 1, let last = words.last, last.contains("/") || last.hasPrefix("~") || last.hasPrefix(".") {
            let path = URL(fileURLWithPath: (last as NSString).expandingTildeInPath).standardizedFileURL.resolvingSymlinksInPath().path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { break }
            folders.insert(path, at: 0)
            words.removeLast()
        }
        return (words, folders)
    }

    func run() async throws {
        let (words, folders) = split
        let text = words.joined(separator: " ")
        let store = try Stores.reader(index)
        let searcher = try Searcher(store: store, encoder: try PrecisionOption.queryEncoder(model: model))
        searcher.warn = Terminal.warn
        try checkTypes(searcher)
        var options = tuning.options
        options.mode = mode
        options.limit = n
        options.perFile = perFile
        if exact { options.vectorSearch = .exact }
        options.pathGlob = path
        options.types = type
        options.since = since.flatMap(DateParsing.parse)
        if folders.count > 1 { throw Usage.error("give one folder to search in (got \(folders.count))") }
        options.folder = folders.first

        var config = try MemoryConfig.load(home: ModelStore.home())
        try memoryTuning.apply(to: &config, halfLife: halfLife)
        let use = noMemory ? MemoryUse(profile: profile, read: false, record: false)
            : MemoryUse(profile: profile, record: !incognito, explain: explain || json, at: at.flatMap(DateParsing.parse))
        let result = try await MemorySearch.run(
            text, use: use, config: config, memoryPath: Stores.memoryPath, encoder: searcher.encoder, notice: Terminal.warn,
            session: { try MemorySession(index: store, memoryPath: Stores.memoryPath, profile: profile, config: config, notice: Terminal.warn) },
            rank: { entries, searches, now, vector in
                try MemoryRanker(searcher: searcher, config: config).search(
                    text, vector: vector, entries: entries, now: now, searches: searches, options: options, explain: explain || json)
            },
            plain: { vector in try searcher.search(SearchRequest(text, vector: vector, options: options)) })
        let response = result.response, memory = result.memory
        if json {
            try printJSON(result.output)
        } else if jsonl {
            for result in SearchOutput(response).results { try printJSONLine(result) }
        } else if paths {
            // Raw when captured (`xargs`, `$(…)` need the paths as they are), escaped on a terminal.
            for hit in response.hits { print(isatty(STDOUT_FILENO) == 1 ? Terminal.safe(hit.path) : hit.path) }
        } else {
            SearchPrinter(query: text, explain: explain, profile: profile, config: config, context: context, style: Terminal.style)
                .print(response, memory: memory)
        }
        // The process ends with this command: the model's and the index's maps go back to the system with it
        // at once, rather than being unmapped and freed piece by piece (milliseconds of a cold search). The
        // index is open read-only, so nothing is left to write.
        _ = Unmanaged.passRetained(searcher)
        // As grep: 1 when nothing matched.
        if response.hits.isEmpty { throw ExitCode.failure }
    }

    /// A --type must be a kind (text, markdown, html, code, data, pdf) or an extension the index holds.
    func checkTypes(_ searcher: Searcher) throws {
        guard !type.isEmpty else { return }
        let store = searcher.store
        let kinds = Set(DocumentType.allCases.map(\.rawValue)).union(try store.read { try store.documentTypes() })
        for t in type {
            let wanted = t.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
            guard !kinds.contains(wanted), !(try store.read { try store.hasDocument(withExtension: wanted) }) else { continue }
            let documents = try searcher.documents().values
            let extensions = Set(documents.map { ($0.path as NSString).pathExtension.lowercased() }.filter { !$0.isEmpty })
            throw Usage.error("--type: no document of type \"\(t)\" (kinds: \(kinds.sorted().joined(separator: ", ")); "
                              + "extensions in this index: \(extensions.sorted().prefix(30).joined(separator: ", ")))")
        }
    }
}
