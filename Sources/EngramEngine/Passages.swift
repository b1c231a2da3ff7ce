import EngramStore
import Foundation

/// Several passages per document (`SearchOptions.perFile`): a shown document's other chunks, scored
/// on the same scale as documents (each side normalised with the ranking's own constants) and
/// ordered best first. Only the documents shown are read, so the cost is per hit, not per index.
extension Searcher {
    func addPassages(_ hits: [SearchHit], request: SearchRequest, ranking: Ranking) throws -> [SearchHit] {
        let options = request.options
        let dense = ranking.semantic.values.map(\.score)
        let lo = dense.min() ?? 0, hi = dense.max() ?? 1
        let lexMax = ranking.lexical.values.map(\.score).max() ?? 0
        func score(_ chunk: IndexStore.Chunk, _ lexical: [Int64: Double]) throws -> Double {
            let cos = options.mode == .lexical ? 0 : try chunkVector(chunk.id).map { Self.dot($0, ranking.queryVector) } ?? 0
            let bm = lexical[chunk.id] ?? 0
            switch options.mode {
            case .semantic: return cos
            case .lexical: return bm
            case .hybrid:
                // RRF has no per-passage scale; min-max blending ranks passages there too.
                let dn = hi > lo ? (cos - lo) / (hi - lo) : 0
                return options.alpha * dn + (1 - options.alpha) * (lexMax > 0 ? bm / lexMax : 0)
            }
        }
        return try store.read {
            try hits.map { hit in
                var hit = hit
                let others = try store.chunks(ofDocument: hit.documentID).filter { $0.id != hit.chunkID }
                // Chunk-level BM25 of the query itself (memory's remembered terms order documents, not passages).
                let lexical = options.mode == .semantic ? [:]
                    : try bm25(request.text, chunks: others.map(\.id), k1: options.k1, b: options.b)
                let ranked = try others.map { ($0, try score($0, lexical)) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.ordinal < $1.0.ordinal }
                hit.passages = ranked.prefix(options.perFile - 1).map { chunk, s in
                    let snippet = Snippet(chunk: chunk.text, query: request.text)
                    return Passage(chunkID: chunk.id, line: min(chunk.lineStart + snippet.lineOffset, max(chunk.lineEnd, chunk.lineStart)),
                                   lineStart: chunk.lineStart, lineEnd: chunk.lineEnd, score: s, text: chunk.text, snippet: snippet)
                }
                return hit
            }
        }
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count, !a.isEmpty else { return 0 }
        return a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in Double(VectorIndex.dot(pa.baseAddress!, pb.baseAddress!, a.count)) } }
    }
}
