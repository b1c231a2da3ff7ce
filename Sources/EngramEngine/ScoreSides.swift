import EngramStore
import EngramText
import Foundation

/// The two sides of the ranker, each folded from chunks to documents (a document scores as its best chunk).
extension Searcher {
    /// Per-document scores of one side: the best chunk's score and that chunk.
    public typealias DocumentScores = [Int64: (score: Double, chunkID: Int64)]

    /// Cosine of the query vector with every chunk, folded to documents.
    public func semanticScores(_ queryVector: [Float]) throws -> DocumentScores {
        let index = try vectors()
        let scores = index.scores(queryVector)
        var out: DocumentScores = [:]
        out.reserveCapacity(index.count)
        for row in 0..<index.count {
            let d = index.documentIDs[row], s = Double(scores[row])
            if let best = out[d], best.score >= s { continue }
            out[d] = (s, index.chunkIDs[row])
        }
        return out
    }

    /// Lexical scores of every chunk that holds a query term, folded to documents.
    public func lexicalScores(_ query: String, options: SearchOptions) throws -> DocumentScores {
        let chunkScores: [Int64: Double]
        switch options.lexical {
        case .bm25: chunkScores = try bm25(query, k1: options.k1, b: options.b)
        case .fts5: chunkScores = try fts5(query)
        }
        let documentOf = try documentOfChunk()
        var out: DocumentScores = [:]
        for (chunk, s) in chunkScores {
            guard let d = documentOf[chunk] else { continue }
            if let best = out[d], best.score >= s { continue }
            out[d] = (s, chunk)
        }
        return out
    }

    /// BM25 (Lucene's idf) over the postings of the query's distinct terms.
    func bm25(_ query: String, k1: Double, b: Double) throws -> [Int64: Double] {
        let (lengths, average) = try lexicalLengths()
        let n = Double(lengths.count)
        var scores: [Int64: Double] = [:]
        // A term repeated in the query counts once per repetition, as in Lucene and bm25s.
        for (term, queryCount) in analyzer.termCounts(query) {
            let postings = try store.postings(term)
            guard !postings.isEmpty else { continue }
            let df = Double(postings.count)
            let idf = log(1 + (n - df + 0.5) / (df + 0.5)) * Double(queryCount)
            for (chunk, tf) in postings {
                let dl = Double(lengths[chunk] ?? 0)
                let t = Double(tf)
                scores[chunk, default: 0] += idf * t * (k1 + 1) / (t + k1 * (1 - b + b * dl / max(average, 1)))
            }
        }
        return scores
    }

    /// FTS5's bm25() with the query's words quoted and OR-ed, so no query text is FTS syntax.
    func fts5(_ query: String) throws -> [Int64: Double] {
        let words = query.lowercased().split { !($0.isLetter || $0.isNumber) }
            .filter { !LexicalAnalyzer.stopwords.contains(String($0)) }
        guard !words.isEmpty else { return [:] }
        let match = Set(words).map { "\"\($0)\"" }.sorted().joined(separator: " OR ")
        return Dictionary(try store.fts5Search(match, limit: 1000).map { ($0.chunkID, $0.score) }, uniquingKeysWith: max)
    }
}
