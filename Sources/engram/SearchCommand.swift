import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramStore
import Foundation

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search an index by meaning and by words.",
        discussion: """
            Modes: hybrid (default) blends semantic similarity with BM25; semantic ranks by meaning only; lexical by \
            words only. A document scores as its best passage; each result shows the passage's first line.

            \(IndexLocation.rule)

            Examples:
              engram search "how do tides work"
              engram search "retry with backoff" --type swift --type go -n 5
              engram search "budget" --path "*/2024/*" --since 2024-06-01 --json
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

    @OptionGroup var tuning: RankingOptions

    @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
    var model: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard !query.joined().trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("the query is empty") }
        guard n > 0 else { throw ValidationError("-n must be at least 1") }
        if let since, DateParsing.parse(since) == nil { throw ValidationError("--since: cannot read date \"\(since)\" (use YYYY-MM-DD)") }
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
        let response = try searcher.search(text, options: options)
        if json {
            try printJSON(SearchOutput(response))
        } else if response.hits.isEmpty {
            print("no results for \"\(text)\"")
        } else {
            for hit in response.hits {
                let parts = [hit.semantic.map { String(format: "sem %.3f", $0) }, hit.lexical.map { String(format: "lex %.2f", $0) }]
                    .compactMap { $0 }.joined(separator: ", ")
                print("\(Terminal.bold(String(format: "%2d", hit.rank)))  \(Terminal.cyan("\(Terminal.display(hit.path)):\(hit.line)"))  "
                      + String(format: "%.3f", hit.score) + Terminal.dim("  (\(parts))"))
                print("    \(Terminal.bold(hit.title))")
                print("    \(Terminal.render(Snippet(chunk: hit.chunkText, query: text)))")
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

    init(_ r: SearchResponse) {
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
