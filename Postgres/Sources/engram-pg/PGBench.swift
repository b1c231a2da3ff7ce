import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramEval
import EngramMemory
import EngramPostgres
import EngramStore
import Foundation

struct PGBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Search speed on a PostgreSQL store: at a given index size, and with many searchers at once.",
        subcommands: [PGBenchScale.self, PGBenchConcurrent.self])
}

/// The median and the 95th percentile as `engram bench` takes them.
func percentile(_ xs: [Double], _ p: Double) -> Double { BenchFigures.percentile(xs, p) }

func milliseconds(since t: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e6 }

/// The query texts of a BEIR queries.jsonl.
func queryTexts(_ path: String) throws -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else { throw fail("cannot read \(path)", code: 64) }
    let texts = data.split(separator: UInt8(ascii: "\n")).compactMap {
        (try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])?["text"] as? String
    }
    guard !texts.isEmpty else { throw fail("no queries in \(path)", code: 64) }
    return texts
}

/// `engram bench scale --store URL`: the figures of `engram bench scale`, measured on PostgreSQL.
struct PGBenchScale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Search at a given index size on PostgreSQL: the synthetic index of `engram bench scale`, copied into the store.",
        discussion: """
            The synthetic SQLite index of N chunks (built as `engram bench scale` builds it, or the one an earlier run \
            kept in --work DIR with --reuse) is copied into the store by `engram-pg import`'s bulk write path (COPY, \
            then the indexes, the HNSW index last); the store's database must be empty, or hold exactly that index \
            from an earlier run. Then: warm hybrid searches in this process (the collection's queries, embedding \
            included, the semantic side as `engram search` takes it: exact up to 50,000 chunks, HNSW above), cold \
            `engram search --store URL` processes (their peak RSS through /usr/bin/time), and recall@10 of pgvector's \
            HNSW semantic top 10 (as searches read it: ef_search 1000, iterative scan) against the exact top 10. \
            index_mb is pg_total_relation_size of the index's tables. memory_added_p50_ms: the same queries with a \
            profile filled by the first 32 of them (in a memory file of the run's own), against without, alternating.

            Give the server a generous maintenance_work_mem (the HNSW build keeps its graph in it: about 3 GB at \
            1M chunks of 384 dimensions) and max_parallel_maintenance_workers.

            Examples:
              engram bench scale --chunks 100000 --store postgresql://postgres@127.0.0.1:5432/scale --json
              engram bench scale --chunks 1000000 --work /tmp/scale-1m --reuse --store postgresql://postgres@127.0.0.1:5432/s1m
            """)

    @Option(help: "Chunks in the synthetic index.")
    var chunks: Int
    @OptionGroup var options: StoreOptions
    @Option(help: "A BEIR corpus.jsonl (its queries.jsonl beside it gives the queries).")
    var corpus: String = "../shared/datasets/scifact/corpus.jsonl"
    @Option(help: "Folder of the synthetic SQLite index, DIR/index.sqlite (default: a temporary folder, removed afterwards).")
    var work: String?
    @Flag(help: "Copy the index an earlier `engram bench scale --work DIR` run left there instead of building it again.")
    var reuse = false
    @Option(help: "Warm queries.")
    var count = 200
    @Option(help: "Cold processes.")
    var cold = 20
    @Option(help: "Queries for recall@10.")
    var recallQueries = 100
    @Option(help: "The engram binary for the cold searches (default: $ENGRAM_CLI, else the checkout's .build/release/engram, else on the PATH).")
    var engram: String?
    @Flag(help: "Print one JSON object: chunks, documents, build_s, index_mb, warm_p50_ms, warm_p95_ms, memory_added_p50_ms, cold_p50_ms, peak_rss_mb, recall@10.")
    var json = false

    struct Result: Encodable {
        let store: String
        let chunks: Int
        let documents: Int
        /// The copy into PostgreSQL (COPY, indexes, HNSW), seconds; null when the store already held the index.
        let build_s: Double?
        let build: PostgresStore.BulkImportSummary?
        let index_mb: Double
        let warm_p50_ms: Double
        let warm_p95_ms: Double
        let memory_added_p50_ms: Double?
        let cold_p50_ms: Double
        let peak_rss_mb: Double?
        let recall: Double
        /// The same with pgvector's default ef_search (40) and LIMIT 10.
        let recall_ef_search_40: Double
        let semantic_scan: String
        let stage_p50_ms: [String: Double]

        enum CodingKeys: String, CodingKey {
            case store, chunks, documents, build_s, build, index_mb, warm_p50_ms, warm_p95_ms, memory_added_p50_ms, cold_p50_ms, peak_rss_mb
            case recall = "recall@10"
            case recall_ef_search_40 = "recall@10_ef_search_40"
            case semantic_scan, stage_p50_ms
        }

        /// Every key present, null where there is no figure.
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(store, forKey: .store)
            try c.encode(chunks, forKey: .chunks)
            try c.encode(documents, forKey: .documents)
            try c.encode(build_s, forKey: .build_s)
            try c.encode(build, forKey: .build)
            try c.encode(index_mb, forKey: .index_mb)
            try c.encode(warm_p50_ms, forKey: .warm_p50_ms)
            try c.encode(warm_p95_ms, forKey: .warm_p95_ms)
            try c.encode(memory_added_p50_ms, forKey: .memory_added_p50_ms)
            try c.encode(cold_p50_ms, forKey: .cold_p50_ms)
            try c.encode(peak_rss_mb, forKey: .peak_rss_mb)
            try c.encode(recall, forKey: .recall)
            try c.encode(recall_ef_search_40, forKey: .recall_ef_search_40)
            try c.encode(semantic_scan, forKey: .semantic_scan)
            try c.encode(stage_p50_ms, forKey: .stage_p50_ms)
        }
    }

    func validate() throws {
        guard chunks > 0 else { throw fail("--chunks must be at least 1 (got \(chunks))", code: 64) }
        if reuse, work == nil { throw fail("--reuse needs --work DIR (the folder an earlier run kept)", code: 64) }
        guard FileManager.default.fileExists(atPath: corpus) else { throw fail("--corpus: no file at \(corpus)", code: 64) }
    }

    func run() async throws {
        let url = try options.location
        guard PostgresLocation.isURL(url) else { throw fail("--store: bench scale measures a postgresql:// store (SQLite: engram bench scale)", code: 64) }
        let folder = URL(fileURLWithPath: corpus).deletingLastPathComponent()
        let collection: BeirCollection
        do { collection = try BeirCollection(folder: folder) } catch { throw fail("\(error)", code: 64) }
        let encoder: SentenceEncoder
        do { encoder = try SentenceEncoder(folder: ModelStore.resolve(options.model)) } catch { throw fail("model: \(error)") }
        // The server first: building a large synthetic index for a store one cannot reach would be time lost.
        try await reporting { try await PostgresStore.connect(url).close() }
        let root = URL(fileURLWithPath: work ?? NSTemporaryDirectory() + "engram-scale-\(UUID().uuidString.prefix(8))")
        defer { if work == nil { try? FileManager.default.removeItem(at: root) } }
        let index = root.appendingPathComponent("index.sqlite").path
        let lite = try await reporting { try synthetic(collection: collection, encoder: encoder, root: root, index: index) }

        let store = try await options.open()
        guard let pg = store as? PostgresSearchStore else { throw fail("--store: not a postgresql:// URL", code: 64) }
        try await closing(store) {
            try await reporting {
                // Copy the SQLite index in, unless the store already holds exactly it.
                let imported = try await pg.withWriter { s -> PostgresStore.BulkImportSummary? in
                    if try await s.version() > 0, try await !s.isEmpty() {
                        let held = try await s.stats()
                        guard held.chunks == lite.chunks, held.documents == lite.documents else {
                            throw fail("\(s.location.display) holds \(held.chunks) chunks, not this index's \(lite.chunks): give bench scale an empty database", code: 64)
                        }
                        return nil
                    }
                    if !json { warn("copying \(index) into \(s.location.display)") }
                    return try await s.bulkImport(index) { if !json { warn($0) } }
                }
                let searcher = try await pg.searcher()
                let texts = collection.queries.map(\.text)
                guard !texts.isEmpty else { throw fail("no queries in \(folder.path)", code: 64) }
                var o = SearchOptions()
                o.mode = .hybrid
                // One untimed pass, as `engram bench scale` makes: the index's pages are then in memory.
                if !json { warn("warm searches") }
                for i in 0..<count { _ = try await searcher.search(texts[i % texts.count], options: o) }
                var warm: [Double] = [], stages: [String: [Double]] = [:]
                for i in 0..<count {
                    let t = DispatchTime.now()
                    let r = try await searcher.search(texts[i % texts.count], options: o)
                    warm.append(milliseconds(since: t))
                    for (k, v) in r.timings where k != "total" { stages[k, default: []].append(v) }
                }
                // Memory's cost: a profile filled with the first queries, as many as it holds (recorded as
                // `engram search` records them, in a memory file of this run's own), then each query with it
                // (read, not recorded) alternating with the same query without it, through the store's search.
                if !json { warn("searches with a full memory") }
                let memoryConfig = MemoryConfig()
                pg.memoryFile = MemoryFile(path: root.appendingPathComponent("bench-memory.sqlite").path, config: memoryConfig)
                defer {
                    for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(at: root.appendingPathComponent("bench-memory.sqlite" + suffix)) }
                }
                for text in texts.prefix(memoryConfig.capacity) {
                    _ = try await pg.search(text, options: o, memory: MemoryUse(profile: "bench", record: true))
                }
                var plain: [Double] = [], remembered: [Double] = []
                for i in 0..<count {
                    let text = texts[i % texts.count]
                    var t = DispatchTime.now()
                    _ = try await pg.search(text, options: o, memory: nil)
                    plain.append(milliseconds(since: t))
                    t = DispatchTime.now()
                    _ = try await pg.search(text, options: o, memory: MemoryUse(profile: "bench", record: false))
                    remembered.append(milliseconds(since: t))
                }
                if !json { warn("cold searches") }
                let (coldTimes, rss) = try coldSearches(texts: texts, url: url)
                if !json { warn("recall@10") }
                let (recall, recall40) = try await hnswRecall(pg, vectors: encoder.encode(Array(texts.prefix(recallQueries))))
                let bytes = try await pg.tableBytes()
                let approximate = lite.chunks > 50_000
                let result = Result(
                    store: url.replacingOccurrences(of: #"://([^:@/]*):[^@/]*@"#, with: "://$1@", options: .regularExpression),
                    chunks: lite.chunks, documents: lite.documents, build_s: imported?.seconds, build: imported,
                    index_mb: Double(bytes) / 1e6, warm_p50_ms: percentile(warm, 0.5), warm_p95_ms: percentile(warm, 0.95),
                    memory_added_p50_ms: percentile(remembered, 0.5) - percentile(plain, 0.5), cold_p50_ms: percentile(coldTimes, 0.5), peak_rss_mb: rss.max(), recall: recall, recall_ef_search_40: recall40,
                    semantic_scan: approximate ? "hnsw" : "exact", stage_p50_ms: stages.mapValues { percentile($0, 0.5) })
                if json {
                    try printJSON(result)
                } else {
                    print(String(format: "%d chunks, %d documents on PostgreSQL: %@, %.0f MB", result.chunks, result.documents,
                                 result.build_s.map { String(format: "copied in %.0f s", $0) } ?? "already there", result.index_mb))
                    print(String(format: "warm p50 %.2f ms, p95 %.2f ms (semantic side: %@); a full memory adds %.2f ms; cold p50 %.0f ms; search peak RSS %.0f MB; HNSW recall@10 %.3f",
                                 result.warm_p50_ms, result.warm_p95_ms, result.semantic_scan, result.memory_added_p50_ms ?? .nan, result.cold_p50_ms,
                                 result.peak_rss_mb ?? .nan, result.recall))
                    print("warm stages, p50: " + result.stage_p50_ms.sorted { $0.key < $1.key }
                        .map { String(format: "%@ %.2f ms", $0.key, $0.value) }.joined(separator: ", "))
                }
            }
        }
    }

    /// The synthetic SQLite index at `index`: built as `engram bench scale` builds it, or with --reuse the one
    /// an earlier run left (read only).
    func synthetic(collection: BeirCollection, encoder: SentenceEncoder, root: URL, index: String) throws -> (documents: Int, chunks: Int) {
        let record = root.appendingPathComponent("build.json")
        if reuse {
            guard let saved = try? JSONSerialization.jsonObject(with: Data(contentsOf: record)) as? [String: Double],
                  Int(saved["chunks"] ?? 0) == chunks, FileManager.default.fileExists(atPath: index) else {
                throw fail("\(root.path) holds no index of \(chunks) chunks from an earlier `engram bench scale --work` run", code: 64)
            }
            return (Int(saved["documents"] ?? 0), chunks)
        }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        if !json { warn("building a synthetic index of \(chunks) chunks in \(index)") }
        let source = try BeirEvaluator(collection: collection, encoder: encoder).prepareIndex(at: BeirEvaluator.cachePath(for: collection))
        for suffix in ["", "-wal", "-shm", ".segment", ".segment.tmp"] { try? FileManager.default.removeItem(atPath: index + suffix) }
        let started = Date()
        let target = try IndexStore(path: index, access: .write(create: true, wait: .fail))
        try target.bindModel(identity: encoder.identity, dimension: encoder.dimension)
        let built = try SyntheticIndex.build(from: source, into: target, chunks: chunks)
        try target.refreshSearchSegment(force: true)
        try JSONSerialization.data(withJSONObject: ["chunks": Double(built.chunks), "documents": Double(built.documents),
                                                    "build_s": Date().timeIntervalSince(started)]).write(to: record)
        return built
    }

    /// The engram binary the cold searches run.
    func engramBinary() throws -> String {
        let fm = FileManager.default
        if let engram { return engram }
        if let e = ProcessInfo.processInfo.environment["ENGRAM_CLI"], !e.isEmpty { return e }
        let exe = URL(fileURLWithPath: (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        // Postgres/.build/<triple>/release/engram-pg → .build/release/engram
        var folder = exe.deletingLastPathComponent()
        for _ in 0..<5 {
            folder = folder.deletingLastPathComponent()
            let candidate = folder.appendingPathComponent(".build/release/engram").path
            if fm.isExecutableFile(atPath: candidate) { return candidate }
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where fm.isExecutableFile(atPath: "\(dir)/engram") {
            return "\(dir)/engram"
        }
        throw fail("no engram binary for the cold searches: --engram PATH", code: 64)
    }

    /// `cold` processes of `engram search QUERY --store URL --json`: wall milliseconds, and peak RSS in MB
    /// (GNU time's, read from a small parent of its own, when /usr/bin/time is there).
    func coldSearches(texts: [String], url: String) throws -> ([Double], [Double]) {
        let engram = try engramBinary()
        let time = "/usr/bin/time", timed = FileManager.default.isExecutableFile(atPath: time)
        var times: [Double] = [], rss: [Double] = []
        for i in 0..<cold {
            let p = Process()
            let arguments = ["search", texts[i % texts.count], "--store", url, "--mode", "hybrid", "--json"]
            p.executableURL = URL(fileURLWithPath: timed ? time : engram)
            p.arguments = timed ? ["-f", "engram-peak-rss-kb %M", engram] + arguments : arguments
            p.standardOutput = FileHandle.nullDevice
            let errors = Pipe()
            p.standardError = errors
            let t = DispatchTime.now()
            try p.run()
            let said = errors.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            times.append(milliseconds(since: t))
            let lines = String(decoding: said, as: UTF8.self).split(separator: "\n")
            if p.terminationStatus != 0 && p.terminationStatus != 1 {
                throw fail("cold search failed: \(lines.first { !$0.hasPrefix("engram-peak-rss-kb") } ?? "exit \(p.terminationStatus)")")
            }
            if let line = lines.last(where: { $0.hasPrefix("engram-peak-rss-kb ") }), let kb = Double(line.dropFirst("engram-peak-rss-kb ".count)) {
                rss.append(kb / 1024)
            }
        }
        return (times, rss)
    }

    /// recall@10 of the HNSW index's top 10 against the exact top 10: read as searches read it (ef_search 1000,
    /// iterative scan, the best 10 of 1000 candidates), and with pgvector's defaults (ef_search 40, LIMIT 10).
    func hnswRecall(_ pg: PostgresSearchStore, vectors: [[Float]]) async throws -> (Double, Double) {
        guard !vectors.isEmpty else { return (0, 0) }
        var found = 0.0, foundDefault = 0.0
        for v in vectors {
            let exact = Set(try await pg.nearestChunks(v, k: 10, exact: true))
            let searched = try await pg.nearestChunks(v, k: 10, exact: false)
            let plain = try await pg.nearestChunks(v, k: 10, exact: false, candidates: 10, efSearch: 40)
            found += Double(searched.filter(exact.contains).count) / Double(max(exact.count, 1))
            foundDefault += Double(plain.filter(exact.contains).count) / Double(max(exact.count, 1))
        }
        return (found / Double(vectors.count), foundDefault / Double(vectors.count))
    }
}

/// `engram bench concurrent --store URL`: requests per second with many searchers at once on PostgreSQL.
struct PGBenchConcurrent: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concurrent",
        abstract: "Requests per second and latency with several searchers at once on a PostgreSQL store.",
        discussion: """
            Each client is a searcher with a connection of its own (as a team's processes each have one) and a \
            query encoder of its own; it runs the collection's queries one after another for --seconds, each a whole \
            hybrid search as `engram search` makes it (the query embedded, both sides, fusion, the passages read), \
            without short-term memory. With --vectors the queries are embedded beforehand, so the figure is the \
            store's alone. The semantic side is taken as `engram search` takes it (exact up to 50,000 chunks, HNSW \
            above). The SQLite index's figure: engram bench concurrent --index PATH.

            Example:
              engram bench concurrent --clients 8 --seconds 30 --store postgresql://postgres@127.0.0.1:5432/engram --json
            """)

    @Option(help: "Searchers at once.")
    var clients = 8
    @Option(help: "How long to run, after one warm query per client.")
    var seconds = 30.0
    @OptionGroup var options: StoreOptions
    @Option(help: "A BEIR queries.jsonl to take the queries from.")
    var queries: String = "../shared/datasets/scifact/queries.jsonl"
    @Option(help: "hybrid, semantic or lexical.")
    var mode: SearchMode = .hybrid
    @Flag(help: "Embed the queries beforehand: time the store alone.")
    var vectors = false
    @Flag(help: "Print one JSON object: store, clients, seconds, requests, requests_per_s, p50_ms, p95_ms.")
    var json = false

    func validate() throws {
        guard (1...256).contains(clients) else { throw fail("--clients: \(clients) is not from 1 to 256", code: 64) }
        guard seconds > 0 else { throw fail("--seconds must be positive", code: 64) }
    }

    func run() async throws {
        let url = try options.location
        guard PostgresLocation.isURL(url) else { throw fail("--store: a postgresql:// URL (a SQLite index: engram bench concurrent --index PATH)", code: 64) }
        let texts = try queryTexts(queries)
        var stores: [PostgresSearchStore] = [], searchers: [Unchecked<PostgresSearcher>] = []
        var queryVectors: [[Float]] = []
        try await reporting {
            for _ in 0..<clients {
                guard let s = try await options.open() as? PostgresSearchStore else { throw fail("--store: not a postgresql:// URL", code: 64) }
                stores.append(s)
                // A store object's searcher uses its connection and its own encoder (one per client).
                let searcher = try await s.searcher()
                _ = try await searcher.search(texts[0], options: SearchOptions())
                searchers.append(Unchecked(searcher))
            }
            if vectors { queryVectors = stores[0].encoder.encode(texts) }
        }
        var o = SearchOptions()
        o.mode = mode
        let searchOptions = o, deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        let pre = Unchecked(queryVectors), texts_ = texts, clients_ = clients
        let started = DispatchTime.now()
        let latencies = try await reporting {
            try await withThrowingTaskGroup(of: [Double].self) { group in
                for c in 0..<clients_ {
                    let searcher = searchers[c]
                    group.addTask {
                        var mine: [Double] = []
                        var i = c
                        while DispatchTime.now().uptimeNanoseconds < deadline {
                            let t = DispatchTime.now()
                            _ = try await searcher.value.search(texts_[i % texts_.count], vector: pre.value.isEmpty ? nil : pre.value[i % texts_.count],
                                                                options: searchOptions)
                            mine.append(milliseconds(since: t))
                            i += clients_
                        }
                        return mine
                    }
                }
                var all: [Double] = []
                for try await part in group { all += part }
                return all
            }
        }
        let elapsed = milliseconds(since: started) / 1000
        for s in stores { await s.close() }
        let out = ConcurrentBenchResult(store: "postgresql", clients: clients, seconds: elapsed, latencies: latencies,
                                        mode: mode.rawValue, queriesEmbeddedBeforehand: vectors)
        if json {
            try printJSON(out)
        } else {
            print(out.summary(storeName: "PostgreSQL"))
        }
    }
}

