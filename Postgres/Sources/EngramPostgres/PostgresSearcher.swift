import EngramEmbedding
import EngramEngine
import EngramStore
import EngramText
import Foundation
import PostgresNIO

/// How the semantic side reads a PostgreSQL store.
public enum SemanticScan: Sendable, Equatable {
    /// Cosine with every chunk, as the SQLite index does: the same scores, the same fusion.
    case exact
    /// The HNSW index's nearest `candidates` chunks (pgvector's iterative scan), plus the exact cosine of
    /// every document the lexical side found, so hybrid fusion sees both sides of each candidate.
    case approximate(candidates: Int)
    /// Exact up to `threshold` chunks, approximate (1000 candidates) above.
    case auto(threshold: Int)
}

/// The ranking pipeline on a PostgreSQL store. The server computes each side's per-document scores
/// (best chunk per document, as `Searcher.semanticScores` and `Searcher.lexicalScores` do); the engine's
/// own filter and fusion (`Searcher.documentFilter`, `Searcher.fuse`) rank them, so both stores rank alike.
public final class PostgresSearcher {
    public let store: PostgresStore
    public let encoder: SentenceEncoder
    public var scan: SemanticScan = .auto(threshold: 50_000)
    let analyzer = LexicalAnalyzer()
    private var cachedChunkCount: Int?
    private var cachedLexicalStats: (chunks: Double, averageLength: Double)?

    public init(store: PostgresStore, encoder: SentenceEncoder) async throws {
        self.store = store
        self.encoder = encoder
        try await store.requireIndex()
        if let bound = try await store.meta("model"), bound != encoder.identity {
            throw PostgresStoreError.modelMismatch(store.location.display, bound, encoder.identity)
        }
    }

    public typealias DocumentScores = Searcher.DocumentScores

    // MARK: The two sides

    func chunkCount() async throws -> Int {
        if let n = cachedChunkCount { return n }
        let n = try await store.rows("SELECT count(*) FROM chunks") { try $0.decode(Int.self) }.first ?? 0
        cachedChunkCount = n
        return n
    }

    /// BM25's collection statistics (chunks, mean lexical length), read once per searcher as the SQLite
    /// searcher reads its lengths once.
    func lexicalStats() async throws -> (chunks: Double, averageLength: Double) {
        if let s = cachedLexicalStats { return s }
        let s = try await store.rows("SELECT count(*)::float8, coalesce(avg(lex_length), 0)::float8 FROM chunks") {
            try $0.decode((Double, Double).self)
        }[0]
        cachedLexicalStats = s
        return s
    }

    /// Folds (document, chunk, score) rows to each document's best chunk.
    static func fold(_ rows: [(Int64, Int64, Double)]) -> DocumentScores {
        var out: DocumentScores = [:]
        for (d, c, s) in rows {
            if let best = out[d], best.score >= s { continue }
            out[d] = (s, c)
        }
        return out
    }

    /// Cosine of every chunk with the query, folded to documents (`documents`: only these).
    public func exactSemanticScores(_ q: [Float], documents: [Int64]? = nil) async throws -> DocumentScores {
        let rows: [(Int64, Int64, Double)]
        if let documents {
            rows = try await store.rows("""
                SELECT DISTINCT ON (document_id) document_id, id, 1 - (embedding <=> \(q)::vector) AS s
                FROM chunks WHERE document_id = ANY(\(documents)) ORDER BY document_id, s DESC, id
                """) { try $0.decode((Int64, Int64, Double).self) }
        } else {
            rows = try await store.rows("""
                SELECT DISTINCT ON (document_id) document_id, id, 1 - (embedding <=> \(q)::vector) AS s
                FROM chunks ORDER BY document_id, s DESC, id
                """) { try $0.decode((Int64, Int64, Double).self) }
        }
        return Self.fold(rows)
    }

    /// The HNSW index's `candidates` nearest chunks, folded to documents.
    public func approximateSemanticScores(_ q: [Float], candidates: Int) async throws -> DocumentScores {
        try await store.transaction {
            try await store.run("SELECT set_config('hnsw.ef_search', \(String(min(max(candidates, 40), 1000))), true)")
            try await store.run("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
            let rows = try await store.rows("""
                SELECT document_id, id, 1 - (embedding <=> \(q)::vector) AS s
                FROM chunks ORDER BY embedding <=> \(q)::vector LIMIT \(candidates)
                """) { try $0.decode((Int64, Int64, Double).self) }
            return Self.fold(rows)
        }
    }

    /// Engram's BM25 (Lucene's idf, k1 and b from `options`) over the postings table, computed in the
    /// server; each document's best chunk.
    public func bm25Scores(_ query: String, options: SearchOptions) async throws -> DocumentScores {
        let counts = analyzer.termCounts(query)
        guard !counts.isEmpty else { return [:] }
        let terms = Array(counts.keys), repeats = terms.map { Int32(counts[$0]!) }
        let (n, average) = try await lexicalStats()
        let rows = try await store.rows("""
            WITH q(term, qtf) AS (SELECT * FROM unnest(\(terms)::text[], \(repeats)::int4[])),
                 stats AS (SELECT \(n)::float8 AS n, \(average)::float8 AS avgdl),
                 df AS (SELECT p.term, count(*)::float8 AS df FROM postings p JOIN q USING (term) GROUP BY p.term),
                 scored AS (
                   SELECT c.document_id, p.chunk_id,
                          sum(ln(1 + (stats.n - df.df + 0.5) / (df.df + 0.5)) * q.qtf
                              * p.tf * (\(options.k1) + 1)
                              / (p.tf + \(options.k1) * (1 - \(options.b) + \(options.b) * c.lex_length / greatest(stats.avgdl, 1)))) AS s
                   FROM postings p JOIN q USING (term) JOIN df USING (term) JOIN chunks c ON c.id = p.chunk_id CROSS JOIN stats
                   GROUP BY c.document_id, p.chunk_id)
            SELECT DISTINCT ON (document_id) document_id, chunk_id, s FROM scored ORDER BY document_id, s DESC, chunk_id
            """) { try $0.decode((Int64, Int64, Double).self) }
        return Self.fold(rows)
    }

    /// PostgreSQL's full-text search (`english` configuration, the query's words OR-ed, `ts_rank`); each
    /// document's best chunk. The alternative to BM25 that `--lexical fts5` selects on this store.
    public func fullTextScores(_ query: String) async throws -> DocumentScores {
        let words = Set(query.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
            .filter { !LexicalAnalyzer.stopwords.contains($0) }).sorted()
        guard !words.isEmpty else { return [:] }
        let tsquery = words.joined(separator: " | ")
        let rows = try await store.rows("""
            SELECT DISTINCT ON (document_id) document_id, id, ts_rank(tsv, q)::float8 AS s
            FROM chunks, to_tsquery('english', \(tsquery)) AS q WHERE tsv @@ q ORDER BY document_id, s DESC, id
            """) { try $0.decode((Int64, Int64, Double).self) }
        return Self.fold(rows)
    }

    public func lexicalScores(_ query: String, options: SearchOptions) async throws -> DocumentScores {
        switch options.lexical {
        case .bm25: return try await bm25Scores(query, options: options)
        case .fts5: return try await fullTextScores(query)
        }
    }

    // MARK: The pipeline

    /// Ranked documents: both sides from the server, then the engine's filter and fusion.
    public func ranking(_ text: String, vector: [Float]? = nil, options: SearchOptions, timings: inout [String: Double])
        async throws -> (top: [(key: Int64, value: Double)], semantic: DocumentScores, lexical: DocumentScores)
    {
        var semantic: DocumentScores = [:], lexical: DocumentScores = [:]
        var clock = DispatchTime.now()
        func lap(_ name: String) {
            let now = DispatchTime.now()
            timings[name, default: 0] += Double(now.uptimeNanoseconds - clock.uptimeNanoseconds) / 1e6
            clock = now
        }
        var q: [Float] = []
        if options.mode != .lexical {
            q = vector ?? encoder.encode(text)
            lap("embed")
        }
        if options.mode != .semantic {
            lexical = try await lexicalScores(text, options: options)
            lap("lexical")
        }
        if options.mode != .lexical {
            let approximate: Int?
            switch scan {
            case .exact: approximate = nil
            case .approximate(let k): approximate = k
            case .auto(let threshold): approximate = try await chunkCount() > threshold ? 1000 : nil
            }
            if let k = approximate {
                semantic = try await approximateSemanticScores(q, candidates: k)
                let missing = lexical.keys.filter { semantic[$0] == nil }
                if !missing.isEmpty && options.mode == .hybrid {
                    for (d, s) in try await exactSemanticScores(q, documents: Array(missing)) { semantic[d] = s }
                }
            } else {
                semantic = try await exactSemanticScores(q)
            }
            lap("semantic")
        }
        if Searcher.filtersActive(options) {
            let ids = Array(Set(semantic.keys).union(lexical.keys))
            let accepts = Searcher.documentFilter(options)
            let kept = Set(try await store.documents(ids: ids).filter(accepts).map(\.id))
            semantic = semantic.filter { kept.contains($0.key) }
            lexical = lexical.filter { kept.contains($0.key) }
            lap("filter")
        }
        let fused = Searcher.fuse(semantic: semantic, lexical: lexical, options: options)
        let top = Searcher.topDocuments(fused, limit: options.limit)
        lap("rank")
        return (top, semantic, lexical)
    }

    /// Top documents for a query, with their best passage.
    public func search(_ text: String, vector: [Float]? = nil, options: SearchOptions = SearchOptions()) async throws -> SearchResponse {
        var timings: [String: Double] = [:]
        let start = DispatchTime.now()
        let r = try await ranking(text, vector: vector, options: options, timings: &timings)
        let preferLexical = options.mode == .lexical || (options.mode == .hybrid && options.alpha < 0.5)
        let chosen = r.top.map { entry -> Int64? in
            let d = entry.key
            return (preferLexical ? r.lexical[d]?.chunkID : nil) ?? r.semantic[d]?.chunkID ?? r.lexical[d]?.chunkID
        }
        let docs = Dictionary(try await store.documents(ids: r.top.map(\.key)).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let chunks = try await store.chunks(ids: chosen.compactMap { $0 })
        var hits: [SearchHit] = []
        for (entry, id) in zip(r.top, chosen) {
            guard let doc = docs[entry.key], let id, let chunk = chunks[id] else { continue }
            let d = entry.key
            let snippet = Snippet(chunk: chunk.text, query: text)
            hits.append(SearchHit(
                rank: hits.count + 1, documentID: d, path: doc.path, title: doc.title,
                line: min(chunk.lineStart + snippet.lineOffset, max(chunk.lineEnd, chunk.lineStart)), lineStart: chunk.lineStart,
                lineEnd: chunk.lineEnd, score: entry.value,
                semantic: options.mode == .lexical ? nil : r.semantic[d]?.score,
                lexical: options.mode == .semantic ? nil : (r.lexical[d]?.score ?? 0),
                chunkID: chunk.id, chunkText: chunk.text, snippet: snippet))
        }
        timings["total"] = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        return SearchResponse(query: text, mode: options.mode, hits: hits, timings: timings)
    }

    /// Ranked paths alone, for evaluation.
    public func rank(_ text: String, vector: [Float]? = nil, options: SearchOptions) async throws -> [(path: String, score: Double)] {
        var timings: [String: Double] = [:]
        let top = try await ranking(text, vector: vector, options: options, timings: &timings).top
        let docs = Dictionary(try await store.documents(ids: top.map(\.key)).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return top.compactMap { e in docs[e.key].map { ($0.path, e.value) } }
    }
}
