import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramEval
import EngramPostgres
import EngramStore
import Foundation

struct PGImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Copy a SQLite index (documents, chunks, vectors) into the PostgreSQL store, embedding nothing.",
        discussion: """
            The bulk write path: into an empty store, rows stream in with COPY (the SQLite index's own BM25 postings \
            included) and the indexes are built afterwards, the HNSW index last, in one transaction; give the server a \
            generous maintenance_work_mem for large indexes. Into a store that holds documents, they are copied one by \
            one: documents already there with the same content are left alone. Takes the store's writer lock.
            """)

    @Argument(help: "The SQLite index file to copy.")
    var index: String
    @OptionGroup var options: StoreOptions
    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
        guard FileManager.default.fileExists(atPath: index) else { throw fail("no such index: \(index)", code: 64) }
        let store = try await options.open()
        guard let pg = store as? PostgresSearchStore else { throw fail("import copies into a postgresql:// store", code: 64) }
        try await closing(store) {
            let bulk = try await reporting { try await pg.withWriter { store -> PostgresStore.BulkImportSummary? in
                if try await store.version() > 0 { guard try await store.isEmpty() else { return nil } }
                return try await store.bulkImport(index) { if !json { warn($0) } }
            } }
            if let bulk {
                if json {
                    try printJSON(bulk)
                } else {
                    print(String(format: "imported %d documents (%d chunks, %d postings) in %.1f s: copy %.1f s, indexes %.1f s, HNSW %.1f s, vacuum %.1f s",
                                 bulk.documents, bulk.chunks, bulk.postings, bulk.seconds, bulk.copy_s, bulk.indexes_s, bulk.hnsw_s, bulk.vacuum_s))
                }
                return
            }
            let s = try await reporting { try await pg.withWriter { try await $0.importIndex(index) } }
            if json {
                try printJSON(s)
            } else {
                print(String(format: "imported %d documents (%d chunks), %d unchanged, %.1f s", s.documents, s.chunks, s.unchanged, s.seconds))
            }
        }
    }
}

struct PGEval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Retrieval quality on the store.",
                                                    subcommands: [PGEvalBeir.self])
}

/// `engram eval beir` on either store: the collection is indexed into it (what is already there costs
/// nothing), every judged query is ranked through the store, and nDCG@10, recall@100 and MRR@10 are averaged.
struct PGEvalBeir: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "beir", abstract: "nDCG@10, recall@100, MRR@10 on a BEIR collection.")

    @Argument(help: "A BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv).")
    var folder: String
    @OptionGroup var options: StoreOptions
    @Option(help: "hybrid, semantic or lexical; repeatable (default: all three).")
    var mode: [SearchMode] = []
    @Option(help: "Lexical scoring: bm25 or fts5 (on PostgreSQL: its full-text search).")
    var lexical: LexicalScorer = .bm25
    @Option(help: "Semantic side on PostgreSQL: exact, hnsw, or auto.")
    var scan: String = "auto"
    @Option(help: "HNSW candidates with --scan hnsw.")
    var candidates = 1000
    @Option(help: "Also run every query again over this many concurrent searchers (own connections) and report queries/s.")
    var clients = 1
    @Flag(help: "Print one JSON object per mode.")
    var json = false

    struct Output: Encodable {
        let dataset: String
        let store: String
        let mode: String
        let lexical: String
        let scan: String
        let queries: Int
        let ndcg10: Double
        let recall100: Double
        let mrr10: Double
        let p50_ms: Double
        let p95_ms: Double
        let clients: Int
        let queries_per_second: Double?
    }

    func run() async throws {
        guard ["exact", "hnsw", "auto"].contains(scan) else { throw fail("--scan: \(scan) is not exact, hnsw or auto", code: 64) }
        let collection: BeirCollection
        do { collection = try BeirCollection(folder: URL(fileURLWithPath: folder)) } catch { throw fail("\(error)", code: 64) }
        let store = try await options.open()
        let prefix = "beir:\(collection.name)/"
        try await closing(store) {
            try await reporting {
                if let pg = store as? PostgresSearchStore {
                    try await prepare(pg, collection: collection, prefix: prefix)
                    pg.scan = scan == "exact" ? .exact : scan == "hnsw" ? .approximate(candidates: candidates) : .auto(threshold: 50_000)
                }
                let encoder = try SentenceEncoder(folder: ModelStore.resolve(options.model))
                let judged = collection.queries.filter { collection.qrels[$0.id] != nil }
                let vectors = encoder.encode(judged.map(\.text))
                for m in mode.isEmpty ? SearchMode.allCases : mode {
                    var o = SearchOptions()
                    (o.mode, o.lexical, o.limit) = (m, lexical, 100)
                    var ndcg = 0.0, recall = 0.0, mrr = 0.0, times: [Double] = []
                    let rank = try await ranker(store, encoder: encoder, collection: collection)
                    for (i, q) in judged.enumerated() {
                        let t0 = DispatchTime.now()
                        let ranking = try await rank(q.text, m == .lexical ? nil : vectors[i], o).map { String($0.dropFirst(prefix.count)) }
                        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e6)
                        let j = collection.qrels[q.id] ?? [:]
                        ndcg += Metrics.ndcg(ranking: ranking, judgments: j, k: 10)
                        recall += Metrics.recall(ranking: ranking, judgments: j, k: 100)
                        mrr += Metrics.mrr(ranking: ranking, judgments: j, k: 10)
                    }
                    times.sort()
                    let qps = clients > 1 ? try await throughput(o, judged: judged.map(\.text), vectors: m == .lexical ? [] : vectors,
                                                                 encoder: encoder, collection: collection) : nil
                    let n = Double(max(judged.count, 1))
                    let out = Output(dataset: collection.name, store: store is PostgresSearchStore ? "postgresql" : "sqlite", mode: m.rawValue,
                                     lexical: lexical.rawValue, scan: store is PostgresSearchStore ? scan : "exact",
                                     queries: judged.count, ndcg10: ndcg / n, recall100: recall / n, mrr10: mrr / n,
                                     p50_ms: times.isEmpty ? 0 : times[times.count / 2],
                                     p95_ms: times.isEmpty ? 0 : times[min(times.count - 1, times.count * 95 / 100)],
                                     clients: clients, queries_per_second: qps)
                    if json {
                        try printJSON(out)
                    } else {
                        print(String(format: "%@ %@ %@: nDCG@10 %.4f  recall@100 %.4f  MRR@10 %.4f  (%d queries, p50 %.1f ms, p95 %.1f ms)",
                                     out.dataset, out.store, out.mode, out.ndcg10, out.recall100, out.mrr10, out.queries, out.p50_ms, out.p95_ms)
                              + (qps.map { String(format: ", %.0f queries/s with %d searchers", $0, clients) } ?? ""))
                    }
                }
            }
        }
    }

    /// Queries per second with `clients` searchers at once, each on a store (connection) of its own.
    func throughput(_ o: SearchOptions, judged: [String], vectors: [[Float]], encoder: SentenceEncoder,
                    collection: BeirCollection) async throws -> Double
    {
        var stores: [any SearchStore] = []
        var rankers: [Unchecked<(String, [Float]?, SearchOptions) async throws -> [String]>] = []
        for _ in 0..<clients {
            let s = try await options.open()
            if let pg = s as? PostgresSearchStore {
                pg.scan = scan == "exact" ? .exact : scan == "hnsw" ? .approximate(candidates: candidates) : .auto(threshold: 50_000)
            }
            stores.append(s)
            rankers.append(Unchecked(try await ranker(s, encoder: encoder, collection: collection)))
            _ = try await rankers.last!.value(judged[0], vectors.first, o)  // warm: loads, connects
        }
        let start = DispatchTime.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<clients {
                let rank = rankers[c]
                let mine = Unchecked(stride(from: c, to: judged.count, by: clients).map { (judged[$0], vectors.isEmpty ? nil : vectors[$0]) })
                group.addTask {
                    for (text, vector) in mine.value { _ = try await rank.value(text, vector, o) }
                }
            }
            try await group.waitForAll()
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        for s in stores { await s.close() }
        return Double(judged.count) / seconds
    }

    /// A function ranking one query on the store: paths, best first.
    func ranker(_ store: any SearchStore, encoder: SentenceEncoder, collection: BeirCollection) async throws
        -> (String, [Float]?, SearchOptions) async throws -> [String]
    {
        if let pg = store as? PostgresSearchStore {
            let searcher = try await pg.searcher()
            return { text, vector, options in try await searcher.rank(text, vector: vector, options: options).map(\.path) }
        }
        let lite = store as! SQLiteSearchStore
        let index = try BeirEvaluator(collection: collection, encoder: encoder).prepareIndex(at: lite.path)
        let searcher = try Searcher(store: index, encoder: encoder)
        return { text, vector, options in try searcher.rank(text, vector: vector, options: options).map(\.path) }
    }

    /// Indexes the collection's records that the store lacks (or holds with other text).
    func prepare(_ pg: PostgresSearchStore, collection: BeirCollection, prefix: String) async throws {
        try await pg.withWriter { store in
            let indexer = try await PostgresIndexer(store: store, encoder: pg.encoder)
            indexer.batchSize = 256
            let known = Dictionary(try await store.documents().map { ($0.path, $0.hash) }, uniquingKeysWith: { a, _ in a })
            var pending: [PendingDocument] = []
            for doc in collection.documents {
                let path = prefix + doc.id
                let hash = SHA256.hex(Data((doc.title + "\u{1F}" + doc.text).utf8))
                if known[path] == hash { continue }
                pending.append(PendingDocument(path: path, size: Int64(doc.text.utf8.count), mtime: 0, hash: hash,
                                               type: "beir", title: doc.title, text: doc.text))
            }
            if !pending.isEmpty {
                warn("indexing \(pending.count) of \(collection.documents.count) documents of \(collection.name)")
                var summary = IndexSummary()
                try await indexer.index(documents: pending, summary: &summary)
            }
        }
    }
}

/// A value handed to a task that alone uses it.
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
