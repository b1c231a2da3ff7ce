import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramEval
import EngramStore
import Foundation

extension BenchCommand {
    struct Concurrent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Requests per second and latency with several searchers at once on one index.",
            discussion: """
            The clients are threads of one process, each with a searcher (read-only connection, mapped segment) and \
            a query encoder of its own, as a server answering several users at once has them. Each runs the \
            collection's queries one after another for --seconds, each a whole hybrid search as `engram search` \
            makes it (the query embedded, both sides, fusion, the passages read), without short-term memory. With \
            --vectors the queries are embedded beforehand, so the figure is the store's alone. With --store \
            postgresql://… the same runs on PostgreSQL (engram-pg: a connection per client).

            Example:
              engram bench concurrent --clients 8 --seconds 30 --index ~/.local/share/engram/cache/beir-scifact.sqlite --json
            """
        )

        @Option(help: "Searchers at once.")
        var clients = 8

        @Option(help: "How long to run, after one warm query per client.")
        var seconds = 30.0

        @Option(help: "Index to search (default: as `engram search`).")
        var index: String?

        @Option(help: "A postgresql:// store: the run is handed to engram-pg.")
        var store: String?

        @Option(help: "A BEIR queries.jsonl to take the queries from.")
        var queries: String = "../shared/datasets/scifact/queries.jsonl"

        @Option(help: "hybrid, semantic or lexical.")
        var mode: SearchMode = .hybrid

        @Flag(help: "Embed the queries beforehand: time the store alone.")
        var vectors = false

        @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
        var model: String?

        @Flag(help: "Print one JSON object: store, clients, seconds, requests, requests_per_s, p50_ms, p95_ms.")
        var json = false

        func validate() throws {
            guard (1...256).contains(clients) else { throw Usage.error("--clients: \(clients) is not from 1 to 256") }
            guard seconds > 0 else { throw Usage.error("--seconds must be positive") }
            if let store { throw Usage.error("--store: \(store) is not a postgresql:// URL (a SQLite index: --index PATH)") }
        }

        func run() async throws {
            let texts = try Search.queryTexts(queries)
            let path = IndexLocation.resolve(index)
            var options = SearchOptions()
            options.mode = mode
            var searchers: [Searcher] = []
            for _ in 0..<clients {
                let s = try Searcher(store: try IndexStore(path: path, access: .read), encoder: try PrecisionOption.queryEncoder(model: model))
                _ = try s.search(texts[0], options: options)  // warm: loads the index's data
                searchers.append(s)
            }
            let pre = vectors ? searchers[0].encoder.encode(texts) : []
            let collected = Collected()
            let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
            let started = DispatchTime.now()
            let group = DispatchGroup()
            let count = searchers.count, settings = options
            let request: @Sendable (Int) -> SearchRequest = { i in
                SearchRequest(texts[i % texts.count], vector: pre.isEmpty ? nil : pre[i % texts.count], options: settings)
            }
            for (c, searcher) in searchers.enumerated() {
                group.enter()
                let mine = Owned(searcher)
                let thread = Thread {
                    var times: [Double] = []
                    var i = c
                    do {
                        while DispatchTime.now().uptimeNanoseconds < deadline {
                            let t = DispatchTime.now()
                            _ = try mine.value.search(request(i))
                            times.append(Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e6)
                            i += count
                        }
                    } catch {
                        collected.add([], failure: "\(error)")
                    }
                    collected.add(times)
                    group.leave()
                }
                thread.stackSize = 8 << 20
                thread.start()
            }
            group.wait()
            if let failure = collected.failure { throw CommandError(failure) }
            let latencies = collected.latencies
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
            let out = ConcurrentBenchResult(store: "sqlite", clients: clients, seconds: elapsed, latencies: latencies,
                                            mode: mode.rawValue, queriesEmbeddedBeforehand: vectors)
            if json {
                try printJSONLine(out)
            } else {
                print(out.summary(storeName: "SQLite"))
            }
        }
    }
}

/// Latencies the client threads hand in.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var latencies: [Double] = []
    private(set) var failure: String?

    func add(_ times: [Double], failure: String? = nil) {
        lock.lock()
        defer { lock.unlock() }
        latencies += times
        if let failure { self.failure = failure }
    }
}

/// A value handed to the one thread that uses it.
private struct Owned<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
