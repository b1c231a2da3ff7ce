import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramMemory
import EngramPostgres
import EngramText
import Foundation

@main
struct EngramPG: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engram-pg",
        abstract: "Engram on a shared PostgreSQL (pgvector) store: index, search, status, remove.",
        discussion: """
            The store is --store, else $ENGRAM_STORE: a postgresql://user@host:port/database URL (a SQLite index \
            path works too, for comparing the two). A local server for trying it: scripts/postgres.sh start.

            Examples:
              engram-pg index ~/notes --store postgresql://postgres@127.0.0.1:5432/engram
              ENGRAM_STORE=postgresql://postgres@127.0.0.1:5432/engram engram-pg search "how do tides work"
            """,
        subcommands: [PGIndex.self, PGSearch.self, PGStatus.self, PGRemove.self, PGImport.self, PGEval.self, PGOpen.self, PGMemory.self,
                      PGReport.self, PGServe.self, PGMCP.self, PGBench.self]
    )
}

extension SearchMode: @retroactive ExpressibleByArgument {}
extension LexicalScorer: @retroactive ExpressibleByArgument {}
extension Fusion: @retroactive ExpressibleByArgument {}

struct StoreOptions: ParsableArguments {
    @Option(help: "postgresql://user@host:port/database (default: $ENGRAM_STORE).")
    var store: String?

    @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
    var model: String?

    var location: String {
        get throws {
            if let store, !store.isEmpty { return store }
            if let env = ProcessInfo.processInfo.environment["ENGRAM_STORE"], !env.isEmpty { return env }
            throw fail("no store: --store postgresql://user@host:port/database, or ENGRAM_STORE", code: 64)
        }
    }

    func open(wait: Bool = true) async throws -> any SearchStore {
        let location = try location
        let encoder: SentenceEncoder
        do {
            encoder = try SentenceEncoder(folder: ModelStore.resolve(model))
        } catch {
            throw fail("model: \(error)")
        }
        do {
            let store = try await SearchStores.open(location, encoder: encoder)
            if let pg = store as? PostgresSearchStore {
                pg.waitForWriter = wait
                pg.notice = { warn($0) }
            } else if let lite = store as? SQLiteSearchStore {
                lite.waitForWriter = wait
                lite.notice = { warn($0) }
            }
            return store
        } catch {
            throw fail("\(error)")
        }
    }
}

func warn(_ line: String) {
    FileHandle.standardError.write(Data(("engram-pg: " + line + "\n").utf8))
}

/// One line on standard error, then the exit code.
func fail(_ line: String, code: Int32 = 1) -> ExitCode {
    warn(line)
    return ExitCode(code)
}

/// Runs `body`, turning a store's error into one line and exit status 1.
func reporting<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let e as ExitCode {
        throw e
    } catch {
        throw fail("\(error)")
    }
}

/// Runs `body`, then closes the store's connections whatever happened.
func closing<T>(_ store: any SearchStore, _ body: () async throws -> T) async throws -> T {
    do {
        let value = try await body()
        await store.close()
        return value
    } catch {
        await store.close()
        throw error
    }
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// One JSON object on one line (keys sorted), for `--jsonl`.
func printJSONLine<T: Encodable>(_ value: T) throws { try printJSON(value) }

struct PGIndex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Index folders (or files) into the store, incrementally.",
        discussion: "One writer at a time per database (an advisory lock): a second one waits, or with --no-wait exits 1.")

    @Argument(help: "Folders or files to index (none: every folder the store was built from).")
    var paths: [String] = []
    @OptionGroup var options: StoreOptions
    @Flag(help: "Include hidden files and folders.")
    var hidden = false
    @Flag(help: "Fail at once if another engram is writing the store.")
    var noWait = false
    @Flag(name: .shortAndLong, help: "No warnings; only the summary.")
    var quiet = false
    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    func validate() throws {
        for p in paths where !FileManager.default.fileExists(atPath: p) { throw fail("no such file or folder: \(p)", code: 64) }
    }

    func run() async throws {
        let store = try await options.open(wait: !noWait)
        try await closing(store) {
            try await reporting {
                var targets = paths
                if targets.isEmpty { targets = (try? await store.status().roots) ?? [] }
                guard !targets.isEmpty else { throw fail("no folder given, and the store records none: engram-pg index FOLDER", code: 64) }
                var total = IndexSummary()
                let started = Date()
                for path in targets {
                    guard FileManager.default.fileExists(atPath: path) else {
                        warn("\(path) is gone; its documents stay until `engram-pg remove \(path)`")
                        continue
                    }
                    let s = try await store.index(folder: path, walker: Walker(includeHidden: hidden)) { w in
                        guard !quiet, w.skip != .binary else { return }
                        warn("\(w.kind.rawValue) \(w.path): \(w.reason)")
                    }
                    total.added += s.added; total.updated += s.updated; total.unchanged += s.unchanged; total.moved += s.moved
                    total.removed += s.removed; total.skipped += s.skipped; total.errors += s.errors
                    total.chunksEmbedded += s.chunksEmbedded; total.chunksReused += s.chunksReused
                    for (k, v) in s.skippedReasons { total.skippedReasons[k, default: 0] += v }
                }
                total.seconds = Date().timeIntervalSince(started)
                if json {
                    try printJSON(total)
                } else {
                    print(String(format: "added %d, updated %d, unchanged %d, moved %d, removed %d, skipped %d, errors %d, chunks embedded %d, %.1f s",
                                 total.added, total.updated, total.unchanged, total.moved, total.removed, total.skipped, total.errors,
                                 total.chunksEmbedded, total.seconds))
                    if total.skipped > 0 { print("skipped \(total.skipped): \(total.skippedBreakdown)") }
                }
            }
        }
    }
}

struct PGSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Search the store: hybrid (semantic + BM25) by default, ranked by the engine's fusion.")

    @Argument(help: "The query (several words are joined), then optionally a folder to search in (an argument that names an existing folder).")
    var query: [String]
    @OptionGroup var options: StoreOptions
    @OptionGroup var replica: ReadStoreOptions
    @Option(name: .shortAndLong, help: "Number of results (1…1000).")
    var n = 10
    @Option(help: "hybrid, semantic or lexical.")
    var mode: SearchMode = .hybrid
    @Option(help: "Lexical scoring: bm25 (Engram's, over the postings table) or fts5 (on PostgreSQL: its full-text search).")
    var lexical: LexicalScorer = .bm25
    @Option(help: "Hybrid fusion: minmax or rrf.")
    var fusion: Fusion = .minmax
    @Option(help: "Weight of the semantic side in minmax fusion (0…1).")
    var alpha: Double = SearchOptions().alpha
    @Option(help: "Only paths matching this glob (a glob without / matches the file name).")
    var path: String?
    @Option(help: "Only these file types (extension or kind); repeatable.")
    var type: [String] = []
    @Option(help: "Only documents modified on or after this date (YYYY-MM-DD or ISO 8601).")
    var since: String?
    @Option(name: .customLong("in"), help: "Only documents in this folder.")
    var folder: String?
    @Option(help: "Semantic side on PostgreSQL: exact, hnsw, or auto (exact up to 50,000 chunks).")
    var scan: String = "auto"
    @Flag(name: [.customShort("l"), .customLong("paths")], help: "Print only the results' paths.")
    var paths = false
    @Flag(help: "Print one JSON object (with memory's explanation when memory is on).")
    var json = false
    @Flag(help: "Print one JSON object per result, one per line (the objects of --json's \"results\").")
    var jsonl = false
    @OptionGroup var memory: MemoryOptions
    @Flag(help: "Show, per result, the base score, memory's part, the rank without memory and the entries that contributed.")
    var explain = false
    @Option(name: [.customShort("C"), .customLong("context")], help: "Lines of the passage to show around each result's line.")
    var context = 0

    func validate() throws {
        guard !query.joined().trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("the query is empty", code: 64) }
        if memory.noMemory && explain { throw fail("--explain shows what memory did; it cannot go with --no-memory", code: 64) }
        guard (0...100).contains(context) else { throw fail("-C must be between 0 and 100 (got \(context))", code: 64) }
        if [json, jsonl, paths].filter({ $0 }).count > 1 { throw fail("choose one of --json, --jsonl and -l", code: 64) }
        try memory.check()
        guard (1...1000).contains(n) else { throw fail("-n: \(n) is not from 1 to 1000", code: 64) }
        guard (0...1).contains(alpha) else { throw fail("--alpha: \(alpha) is not from 0 to 1", code: 64) }
        guard ["exact", "hnsw", "auto"].contains(scan) else { throw fail("--scan: \(scan) is not exact, hnsw or auto", code: 64) }
        if let since, Self.date(since) == nil { throw fail("--since: \"\(since)\" is not a date (YYYY-MM-DD or ISO 8601)", code: 64) }
    }

    static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func date(_ s: String) -> Date? {
        if let d = try? Date(s, strategy: .iso8601) { return d }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM-dd"
        return f.date(from: s)
    }

    func run() async throws {
        let store = try await options.open()
        try replica.apply(to: store, location: options.location)
        store.memoryFile = try memory.file()
        try await closing(store) {
            if let pg = store as? PostgresSearchStore {
                pg.scan = scan == "exact" ? .exact : scan == "hnsw" ? .approximate(candidates: max(100, n * 10)) : .auto(threshold: 50_000)
            }
            var o = SearchOptions()
            o.mode = mode
            o.limit = n
            o.lexical = lexical
            o.fusion = fusion
            o.alpha = alpha
            o.pathGlob = path
            o.types = type
            o.since = since.flatMap(Self.date)
            // As `engram search`: trailing arguments that name existing folders are where to search, not words.
            var words = query, folders: [String] = []
            while words.count > 1, let last = words.last, Self.isFolder(last) { folders.insert(words.removeLast(), at: 0) }
            if let f = folder { folders.append(f) }
            guard folders.count <= 1 else {
                throw fail("one folder at a time on a PostgreSQL store (\(folders.joined(separator: ", ")))", code: 64)
            }
            o.folder = folders.first.map { URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath().path }
            let text = words.joined(separator: " ")
            let use = memory.noMemory ? MemoryUse(profile: memory.profile, read: false, record: false)
                : MemoryUse(profile: memory.profile, record: !memory.incognito, explain: explain || json, at: memory.time)
            let result = try await reporting { try await store.search(text, options: o, memory: use) }
            let response = result.response
            if json {
                try printJSON(result.output)
            } else if jsonl {
                for r in SearchOutput(response).results { try printJSONLine(r) }
            } else if paths {
                // Raw when captured (`xargs`, `$(…)` need the paths as they are), escaped on a terminal.
                for h in response.hits { print(isatty(STDOUT_FILENO) == 1 ? TextStyle.safe(h.path) : h.path) }
            } else {
                SearchPrinter(query: text, explain: explain, profile: memory.profile, config: result.config, context: context,
                              style: .terminal(color: TextStyle.colorTerminal)).print(response, memory: result.memory)
            }
            if response.hits.isEmpty { throw ExitCode(1) }
        }
    }
}

struct PGStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show what the store holds.")
    @OptionGroup var options: StoreOptions
    @OptionGroup var replica: ReadStoreOptions
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        let store = try await options.open()
        try replica.apply(to: store, location: options.location)
        try await closing(store) {
            let s = try await reporting { try await store.status() }
            if json {
                try printJSON(s)
            } else {
                print("store:        \(s.store)")
                print("documents:    \(s.documents)")
                print("chunks:       \(s.chunks)")
                print("model:        \(s.model ?? "none yet")\(s.dimension.map { " (\($0)-d)" } ?? "")")
                print("precision:    \(s.precision ?? "none yet")")
                print(String(format: "size:         %.1f MB", Double(s.bytes) / 1e6))
                print("last indexed: \(s.lastIndexed.map { Date(timeIntervalSince1970: $0).formatted(.iso8601) } ?? "never")")
                if let v = s.schemaVersion { print("schema:       version \(v)") }
                print("folders:      \(s.roots.isEmpty ? "none recorded" : s.roots.joined(separator: "\n              "))")
            }
        }
    }
}

struct PGRemove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove", abstract: "Drop a folder's (or a file's) documents from the store; the files are not touched.")
    @Argument(help: "The folder or file whose documents leave the store.")
    var path: String
    @OptionGroup var options: StoreOptions
    @Flag(help: "Fail at once if another engram is writing the store.")
    var noWait = false
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        let store = try await options.open(wait: !noWait)
        try await closing(store) {
            var target = URL(fileURLWithPath: path).standardizedFileURL.path
            if FileManager.default.fileExists(atPath: target) { target = URL(fileURLWithPath: target).resolvingSymlinksInPath().path }
            let removed = try await reporting { try await store.remove(under: target) }
            if json {
                try printJSON(["removed": removed])
            } else {
                print("removed \(removed) document\(removed == 1 ? "" : "s") under \(target)")
            }
        }
    }
}
