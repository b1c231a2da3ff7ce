import EngramEngine
import EngramMemory
import Foundation

/// Raw per-session scores, for studying how memory should combine the target with its history
/// outside the engine (`engram eval sessions --details FILE`).
///
/// Candidates are the union of the target's top 200 and each history entry's top 50 under the base
/// ranker. For each candidate the file holds the target's cosine and BM25 and every entry's cosine
/// and BM25, plus each side's normalising constants over the whole collection, so min-max fusion can
/// be recomputed exactly for these documents.
public struct SessionDetail: Encodable {
    public struct Side: Encodable {
        public var text: String
        public var cosMin: Double
        public var cosMax: Double
        public var bm25Max: Double
        /// Entries only: cosine to the target query and decay weight at the target's time.
        public var similarity: Double?
        public var decay: Double?
        /// Entries only: "query" or "open".
        public var kind: String?
        /// Target only: cosines of its best chunks, best first (``QueryStatistics``).
        public var top: [Double]?
        /// Target only: how many chunks the index holds (the guard's share of the index is read against it).
        public var chunks: Int?
        /// Entries only: mean cosine of the entry with the target's 10 best chunks.
        public var agree10: Double?
    }
    public var id: String
    public var kind: String
    public var target: Side
    public var entries: [Side]
    /// Document id → [target cos, target bm25, entry₁ cos, entry₁ bm25, …].
    public var docs: [String: [Double]]
    public var qrels: [String: Int]
    public var ndcg: [String: Double]
}

extension SessionEvaluator {
    func detail(
        _ s: SearchSession, vector: [Float], entries: [WeightedEntry], options: SearchOptions, ndcg: [String: Double]
    ) throws -> SessionDetail {
        let prefix = "beir:\(collection.name)/"
        let docs = try searcher.documents()
        let texts = [s.query] + entries.map(\.entry.text)
        let embeddings = [vector] + entries.map(\.entry.vector)
        let best10 = try searcher.nearestChunks(vector, k: 10, exact: true).compactMap { try searcher.chunkVector($0) }
        let top = try searcher.topCosines(vector, k: QueryStatistics.depth).map(Double.init)
        let chunkCount = try searcher.chunkCount()
        var sides: [(semantic: Searcher.DocumentScores, lexical: Searcher.DocumentScores)] = []
        var candidates = Set<Int64>()
        for (i, text) in texts.enumerated() {
            let semantic = try searcher.semanticScores(embeddings[i])
            let lexical = try searcher.lexicalScores(text, options: options)
            sides.append((semantic, lexical))
            let fused = Searcher.fuse(semantic: semantic, lexical: lexical, options: options)
            let top = fused.sorted { $0.value > $1.value }.prefix(i == 0 ? 200 : 50)
            candidates.formUnion(top.map(\.key))
        }
        func side(_ i: Int) -> SessionDetail.Side {
            let cos = sides[i].semantic.values.map(\.score)
            return SessionDetail.Side(
                text: texts[i], cosMin: cos.min() ?? 0, cosMax: cos.max() ?? 0,
                bm25Max: sides[i].lexical.values.map(\.score).max() ?? 0,
                similarity: i == 0 ? nil : entries[i - 1].similarity,
                decay: i == 0 ? nil : entries[i - 1].decay,
                kind: i == 0 ? nil : entries[i - 1].entry.kind,
                top: i == 0 ? top : nil, chunks: i == 0 ? chunkCount : nil,
                agree10: i == 0 ? nil : best10.map { MemoryModel.cosine(embeddings[i], $0) }.reduce(0, +) / Double(max(1, best10.count)))
        }
        var rows: [String: [Double]] = [:]
        for d in candidates {
            guard let path = docs[d]?.path else { continue }
            rows[String(path.dropFirst(prefix.count))] = sides.flatMap { [$0.semantic[d]?.score ?? 0, $0.lexical[d]?.score ?? 0] }
        }
        return SessionDetail(
            id: s.id, kind: s.kind, target: side(0), entries: (1..<texts.count).map(side), docs: rows,
            qrels: collection.qrels[s.qrels_query] ?? [:], ndcg: ndcg)
    }
}
