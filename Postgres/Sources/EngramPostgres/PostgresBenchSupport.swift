import Foundation
import PostgresNIO

extension PostgresSearchStore {
    /// The ids of the `k` chunks nearest to `q` by cosine: with `exact`, a full scan (the HNSW index set aside);
    /// else through the HNSW index as a search reads it (`efSearch`, iterative scan), the best
    /// `k` of its `candidates`.
    public func nearestChunks(_ q: [Float], k: Int, exact: Bool, candidates: Int = 1000, efSearch: Int = 1000) async throws -> [Int64] {
        let store = try await readerStore()
        return try await store.transaction {
            if exact {
                try await store.run("SET LOCAL enable_indexscan = off")
                return try await store.rows("SELECT id FROM chunks ORDER BY embedding <=> \(q)::vector, id LIMIT \(k)") { try $0.decode(Int64.self) }
            }
            try await store.run("SELECT set_config('hnsw.ef_search', \(String(min(max(efSearch, 1), 1000))), true)")
            try await store.run("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
            let rows = try await store.rows("SELECT id, embedding <=> \(q)::vector AS d FROM chunks ORDER BY embedding <=> \(q)::vector LIMIT \(candidates)") {
                try $0.decode((Int64, Double).self)
            }
            return rows.sorted { $0.1 < $1.1 }.prefix(k).map(\.0)
        }
    }

    /// Bytes the index takes on the server: its tables with their indexes and TOAST (pg_total_relation_size).
    public func tableBytes() async throws -> Int64 {
        let store = try await readerStore()
        return try await store.rows("""
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::int8 FROM pg_class c
            WHERE c.relname IN ('documents', 'chunks', 'postings', 'engram_meta', 'engram_roots', 'engram_migrations') AND c.relkind = 'r'
              AND c.relnamespace = current_schema()::regnamespace
            """) { try $0.decode(Int64.self) }.first ?? 0
    }
}
