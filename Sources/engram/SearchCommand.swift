import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramMemory
import EngramStore
import Foundation

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search an index by meaning and by words.",
        discussion: """
            Modes: hybrid (default) blends semantic similarity with BM25; semantic ranks by meaning only; lexical by \
            words only. A document scores as its best passage; each result shows the passage's first line.

            Memory: every search is remembered (per --profile) and the next searches are re-ranked with what you \
            were just looking for, fading with time (--half-life) and with later searches. A topic guard keeps \
            searches about something else from pulling results their way. --explain shows what memory did; \
            --no-memory neither reads nor writes memory; --incognito reads it but records nothing.

            \(IndexLocation.rule)

            Examples:
              engram search "how do tides work"
              engram search "retry with backoff" --type swift --type go -n 5
              engram search "budget" --path "*/2024/*" --since 2024-06-01 --json
              engram search "tides" --explain
              $EDITOR "$(engram open 2)"      # open result 2 of the last search (and remember it)
            """
    )

    @Argument(help: "The query (several words are joined).")
    var query: [String]

    @Option(help: "Index file.")
    var index: String?

    @Option(name: .shortAndLong, help: "Number of results.")
    var n = 10

    @Option(help: "hybrid, semantic or lexical.")
    var mode: SearchMode = .hybrid

    @Option(help: "Only paths matching this glob (a glob without / matches the file name).")
    var path: String?

    @Option(help: "Only these file types (extension such as md or py, or a kind such as code, html, pdf); repeatable.")
    var type: [String] = []

    @Option(help: "Only documents modified on or after this date (YYYY-MM-DD or ISO 8601).")
    var since: String?

    @OptionGroup(title: "Ranking tuning") var tuning: RankingOptions

    @Option(help: "Memory profile.")
    var profile = "default"

    @Flag(help: "Neither read nor record memory.")
    var noMemory = false

    @Flag(help: "Use memory but record nothing.")
    var incognito = false

    @Option(help: "Run as if at this time (ISO 8601), for replaying sessions.")
    var at: String?

    @Flag(help: "Show, per result, the base score, memory's part, the rank without memory and the entries that contributed.")
    var explain = false

    @OptionGroup(title: "Memory tuning") var memory: MemoryOptions

    @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
    var model: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard !query.joined().trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("the query is empty") }
        guard n > 0 else { throw ValidationError("-n must be at least 1") }
        if let since, DateParsing.parse(since) == nil { throw ValidationError("--since: cannot read date \"\(since)\" (use YYYY-MM-DD)") }
        if let at, DateParsing.parse(at) == nil { throw ValidationError("--at: cannot read time \"\(at)\" (use ISO 8601)") }
        if noMemory && explain { throw ValidationError("--explain shows what memory did; it cannot go with --no-memory") }
    }

    func run() async throws {
        let text = query.joined(separator: " ")
        let store = try IndexStore(path: IndexLocation.resolve(index), create: false)
        let encoder = try SentenceEncoder(folder: ModelStore.resolve(model))
        let searcher = try Searcher(store: store, encoder: encoder)
        var options = tuning.options
        options.mode = mode
        options.limit = n
        options.pathGlob = path
        options.types = type
        options.since = since.flatMap(DateParsing.parse)
        var response: SearchResponse
        var memoryResult: MemoryResult?
        if noMemory {
            response = try searcher.search(text, options: options)
        } else {
            let now = at.flatMap(DateParsing.parse)?.timeIntervalSince1970 ?? Date().timeIntervalSince1970
            let session = MemorySession(store: store, profile: profile, config: try memory.config())
            let result = try session.search(text, searcher: searcher, options: options, now: now, record: !incognito)
            response = result.response
            memoryResult = result
        }
        if json {
            try printJSON(SearchOutput(response, memory: memoryResult, profile: profile))
        } else if response.hits.isEmpty {
            print("no results for \"\(text)\"")
        } else {
            for (i, hit) in response.hits.enumerated() {
                let parts = [hit.semantic.map { String(format: "sem %.3f", $0) }, hit.lexical.map { String(format: "lex %.2f", $0) }]
                    .compactMap { $0 }.joined(separator: ", ")
                print("\(Terminal.bold(String(format: "%2d", hit.rank)))  \(Terminal.cyan("\(Terminal.display(hit.path)):\(hit.line)"))  "
                      + String(format: "%.3f", hit.score) + Terminal.dim("  (\(parts))"))
                print("    \(Terminal.bold(hit.title))")
                print("    \(Terminal.render(Snippet(chunk: hit.chunkText, query: text)))")
                if explain, let e = memoryResult?.explanations[i] {
                    let was = e.baseRank.map { "rank \($0)" } ?? "unranked"
                    print(Terminal.dim(String(format: "    memory: base %.3f %+.3f → %@ → %d", e.baseScore, e.memoryScore, was, e.rank)))
                    for c in e.contributions.sorted(by: { $0.weight > $1.weight }).prefix(3) {
                        print(Terminal.dim(String(format: "      w %.2f  sim %.2f  ", c.weight, c.similarity) + "\"\(c.text.prefix(70))\""))
                    }
                }
            }
            if explain, let m = memoryResult {
                let active = m.active
                print(Terminal.dim(active.isEmpty ? "memory: no entry about this topic (profile \(profile), \(m.entries.count) entries)"
                                                  : "memory: \(active.count) of \(m.entries.count) entries in effect (profile \(profile))"))
            }
        }
    }
}

/// `engram search --json`: {"query", "mode", "results": [...], "timings_ms": {...}}.
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
        let score: Double
        let scores: Scores
        let title: String
        let snippet: String
        let chunk: String
    }
    let query: String
    let mode: String
    let results: [Result]
    let timings_ms: [String: Double]
    let memory: MemoryOutput?

    init(_ r: SearchResponse, memory m: MemoryResult? = nil, profile: String = "default") {
        memory = m.map { MemoryOutput($0, profile: profile) }
        query = r.query
        mode = r.mode.rawValue
        results = r.hits.map { h in
            Result(rank: h.rank, path: h.path, line: h.line, score: h.score, scores: .init(semantic: h.semantic, lexical: h.lexical),
                   title: h.title, snippet: Snippet(chunk: h.chunkText, query: r.query).text, chunk: h.chunkText)
        }
        timings_ms = r.timings
    }
}

enum DateParsing {
    static func parse(_ s: String) -> Date? {
        if let d = try? Date(s, strategy: .iso8601) { return d }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm"] {
            f.dateFormat = format
            if let d = f.date(from: s) { return d }
        }
        return nil
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
        let age_seconds: Double
        let searches_since: Int
        let active: Bool
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

    init(_ m: MemoryResult, profile: String) {
        self.profile = profile
        let floor = Set(m.active.map(\.entry.id))
        entries = m.entries.map {
            Entry(id: $0.entry.id, kind: $0.entry.kind, text: $0.entry.text, path: $0.entry.path, weight: $0.weight, decay: $0.decay,
                  gate: $0.gate, similarity: $0.similarity, age_seconds: $0.ageSeconds, searches_since: $0.searchesSince,
                  active: floor.contains($0.entry.id))
        }
        results = m.explanations.map { e in
            Result(rank: e.rank, base_rank: e.baseRank, base_score: e.baseScore, memory_score: e.memoryScore,
                   contributions: e.contributions.map { Contribution(entry: $0.entryID, weight: $0.weight, similarity: $0.similarity) })
        }
    }
}
