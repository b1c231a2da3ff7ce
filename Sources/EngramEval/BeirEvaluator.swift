import EngramEmbedding
import EngramEngine
import EngramStore
import Foundation

/// nDCG@10, Recall@100 and MRR@10 of one mode on one collection.
public struct BeirResult: Sendable, Codable {
    public var dataset: String
    public var mode: String
    public var queries: Int
    public var ndcg10: Double
    public var recall100: Double
    public var mrr10: Double
    /// With the graph (`--ann`): the graph's top-10 chunks against the exact scan's, per query.
    public var annRecall10: Double?

    enum CodingKeys: String, CodingKey {
        case dataset, mode, queries
        case ndcg10 = "ndcg@10"
        case recall100 = "recall@100"
        case mrr10 = "mrr@10"
        case annRecall10 = "ann_recall@10"
    }
}

/// Indexes a BEIR collection (each document `title + " " + text`, chunked like a file, the title
/// prepended to every chunk) into a cached index and scores its queries.
public struct BeirEvaluator {
    public let collection: BeirCollection
    public let encoder: SentenceEncoder

    public init(collection: BeirCollection, encoder: SentenceEncoder) {
        self.collection = collection
        self.encoder = encoder
    }

    var prefix: String { "beir:\(collection.name)/" }

    /// The default cache: `$ENGRAM_HOME/cache/beir-NAME.sqlite`.
    public static func cachePath(for collection: BeirCollection) -> String {
        ModelStore.home().appendingPathComponent("cache/beir-\(collection.name).sqlite").path
    }

    /// Brings the cached index up to date (documents whose text is unchanged cost nothing) under the
    /// writer lock, then returns it opened for reading: the lock is held only while the index changes.
    public func prepareIndex(
        at path: String, wait: WriterLock.Wait = .wait(notice: { _ in }), progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> IndexStore {
        try update(IndexStore(path: path, access: .write(create: true, wait: wait)), progress: progress)
        return try IndexStore(path: path, access: .read)
    }

    private func update(_ store: IndexStore, progress: (Int, Int) -> Void) throws {
        let indexer = try Indexer(store: store, encoder: encoder)
        indexer.batchSize = 256
        let known = Dictionary(try store.documents().map { ($0.path, $0.hash) }, uniquingKeysWith: { a, _ in a })
        var pending: [PendingDocument] = []
        var summary = IndexSummary()
        var done = 0
        let total = collection.documents.count
        for doc in collection.documents {
            let path = prefix + doc.id
            let hash = SHA256.hex(Data((doc.title + "\u{1F}" + doc.text).utf8))
            if known[path] == hash { done += 1; continue }
            pending.append(PendingDocument(path: path, size: Int64(doc.text.utf8.count), mtime: 0, hash: hash,
                                           type: "beir", title: doc.title, text: doc.text))
            if pending.count >= indexer.batchSize {
                done += pending.count
                try indexer.index(documents: pending, summary: &summary)
                pending.removeAll()
                progress(done, total)
            }
        }
        if !pending.isEmpty {
            done += pending.count
            try indexer.index(documents: pending, summary: &summary)
            progress(done, total)
        }
        try store.refreshSearchSegment()
    }

    /// Runs every judged query and averages the metrics.
    public func evaluate(searcher: Searcher, options: SearchOptions) throws -> BeirResult {
        var options = options
        options.limit = 100
        let judged = collection.queries.filter { collection.qrels[$0.id] != nil }
        let vectors = options.mode == .lexical ? [] : encoder.encode(judged.map(\.text))
        var ndcg = 0.0, recall = 0.0, mrr = 0.0
        for (i, q) in judged.enumerated() {
            let ranking = try searcher.rank(q.text, vector: vectors.isEmpty ? nil : vectors[i], options: options)
                .map { String($0.path.dropFirst(prefix.count)) }
            let judgments = collection.qrels[q.id] ?? [:]
            ndcg += Metrics.ndcg(ranking: ranking, judgments: judgments, k: 10)
            recall += Metrics.recall(ranking: ranking, judgments: judgments, k: 100)
            mrr += Metrics.mrr(ranking: ranking, judgments: judgments, k: 10)
        }
        let n = Double(max(judged.count, 1))
        var result = BeirResult(dataset: collection.name, mode: options.mode.rawValue, queries: judged.count,
                                ndcg10: ndcg / n, recall100: recall / n, mrr10: mrr / n)
        if options.vectorSearch == .approximate, !vectors.isEmpty {
            result.annRecall10 = try searcher.graphRecall(vectors)
        }
        return result
    }
}
