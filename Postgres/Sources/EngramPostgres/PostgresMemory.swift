import EngramEngine
import EngramMemory
import EngramStore
import Foundation

/// Short-term memory on a PostgreSQL store, step for step as `MemoryRanker.search` runs it on the SQLite
/// index (the same `MemoryModel` arithmetic): the guard's statistics are the query's best chunk cosines
/// from pgvector, the expansion goes into this store's pipeline, and the explanations read the hits'
/// vectors from the server.
extension PostgresSearcher {
    /// What the index shows for the query `q`, for the guard: its best chunks' cosines, and how many chunks
    /// there are (the count BM25 reads once per searcher).
    public func statistics(_ q: [Float]) async throws -> QueryStatistics {
        QueryStatistics(topCosines: try await topCosines(q, k: QueryStatistics.depth), chunkCount: Int(try await lexicalStats().chunks))
    }

    /// A search re-ranked with the remembered `entries` (as of `now`, after `searches` searches).
    public func search(
        _ text: String, vector: [Float]? = nil, statistics: QueryStatistics? = nil, entries: [MemoryStore.Entry], now: Double,
        searches: Int, options: SearchOptions, explain: Bool = false, config: MemoryConfig
    ) async throws -> MemoryResult {
        let q = vector ?? encoder.encode(text)
        // The statistics cost a scan: only when an entry could count at all.
        var stats = statistics
        let start = DispatchTime.now()
        if stats == nil, config.needsStatistics, MemoryModel.anyLive(entries, now: now, searches: searches, config: config) {
            stats = try await self.statistics(q)
        }
        let statisticsMs = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        let (expansion, weighted) = MemoryModel.expansion(entries, query: q, statistics: stats, now: now, searches: searches, config: config)
        var response = try await search(SearchRequest(text, vector: q, options: options, expansion: expansion, explain: explain))
        // The guard's scan is memory's own cost on this store: shown beside the pipeline's stages.
        if stats != nil && statistics == nil { response.timings["statistics"] = statisticsMs }
        var explanations: [MemoryExplanation] = []
        if explain {
            let vectors = try await chunkVectors(response.hits.map(\.chunkID))
            explanations = MemoryModel.explanations(response.hits, weighted: weighted, vectors: vectors, kept: response.kept,
                                                    config: config)
        }
        return MemoryResult(response: response, explanations: explanations, entries: weighted, floor: config.floor)
    }
}
