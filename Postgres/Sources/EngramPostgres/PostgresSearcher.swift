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
    /// server; each document's best chunk (among the best `limit` chunks when given, as the SQLite
    /// searcher shortlists a remembered text's).
    public func bm25Scores(_ query: String, options: SearchOptions, limit: Int? = nil) async throws -> DocumentScores {
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
                   GROUP BY c.document_id, p.chunk_id),
                 kept AS (SELECT * FROM scored ORDER BY s DESC, chunk_id LIMIT \(Int64(limit ?? Int(Int32.max))))
            SELECT DISTINCT ON (document_id) document_id, chunk_id, s FROM kept ORDER BY document_id, s DESC, chunk_id
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

    public func lexicalScores(_ query: String, options: SearchOptions, limit: Int? = nil) async throws -> DocumentScores {
        switch options.lexical {
        case .bm25: return try await bm25Scores(query, options: options, limit: limit)
        case .fts5: return try await fullTextScores(query)
        }
    }

    // MARK: The pipeline

    /// Whether the semantic side reads the HNSW index (and how many candidates) or scans every chunk.
    func approximateCandidates() async throws -> Int? {
        switch scan {
        case .exact: return nil
        case .approximate(let k): return k
        case .auto(let threshold): return try await chunkCount() > threshold ? 1000 : nil
        }
    }

    /// The semantic side for a query vector; with the HNSW index, the documents in `also` (the lexical
    /// side's) are scored exactly too, so hybrid fusion sees both sides of each candidate.
    func semanticScores(_ q: [Float], also: Set<Int64>, options: SearchOptions) async throws -> DocumentScores {
        guard let k = try await approximateCandidates() else { return try await exactSemanticScores(q) }
        var semantic = try await approximateSemanticScores(q, candidates: k)
        let missing = also.filter { semantic[$0] == nil }
        // The lexical side's documents (hybrid) and opened documents to lift (any mode) need their cosine.
        if !missing.isEmpty {
            for (d, s) in try await exactSemanticScores(q, documents: Array(missing)) { semantic[d] = s }
        }
        return semantic
    }

    /// Ranked documents with their sides, before any chunk text is read.
    public struct Ranking {
        public var top: [(key: Int64, value: Double)]
        public var semantic: DocumentScores
        public var lexical: DocumentScores
        /// With `explain`: every candidate's score parts without the expansion, and its own sides.
        public var base: (parts: [Int64: (semantic: Double, lexical: Double)], semantic: DocumentScores, lexical: DocumentScores)?
        /// How many of the query's own best documents were kept first, and why.
        public var kept = Kept()
    }

    /// Ranked documents: both sides from the server (the query's and, with memory's expansion, each
    /// remembered text's), then the engine's filter, lexical expansion and fusion, as `Searcher` ranks.
    public func ranking(_ request: SearchRequest, timings: inout [String: Double]) async throws -> Ranking {
        let options = request.options, expansion = request.expansion, text = request.text
        let expanded = !expansion.isEmpty
        var clock = DispatchTime.now()
        func lap(_ name: String) {
            let now = DispatchTime.now()
            timings[name, default: 0] += Double(now.uptimeNanoseconds - clock.uptimeNanoseconds) / 1e6
            clock = now
        }
        var q: [Float] = []
        if options.mode != .lexical {
            q = request.vector ?? encoder.encode(text)
            lap("embed")
        }
        // Opened documents to be found again, by id (a path that has left the index drops out).
        var opened: [Int64: Double] = [:]
        if expansion.refinds {
            for o in expansion.opened {
                if let d = try await store.document(path: o.path) { opened[d.id, default: 0] += o.weight }
            }
            lap("refind")
        }
        var lexical0: DocumentScores = [:], terms: [(weight: Double, scores: DocumentScores)] = []
        if options.mode != .semantic {
            lexical0 = try await lexicalScores(text, options: options)
            lap("lexical")
            if expansion.expandsQuery {
                for term in expansion.terms {
                    terms.append((weight: term.weight, scores: try await lexicalScores(term.text, options: options, limit: Searcher.expansionShortlist)))
                }
                lap("expansion_lexical")
            }
        }
        var semantic: DocumentScores = [:], semantic0: DocumentScores = [:]
        if options.mode != .lexical {
            var also = Set(lexical0.keys).union(opened.keys)
            for t in terms { also.formUnion(t.scores.keys) }
            let base = expansion.expandsQuery && (request.explain || expansion.keeps)
            if base {
                // The query alone first: to keep its best match, the query with memory then scores its
                // candidates too, so the match is among what it ranks (as the SQLite store's one pass does).
                semantic0 = try await semanticScores(q, also: Set(lexical0.keys), options: options)
                if expansion.keeps { also.formUnion(semantic0.keys) }
                lap("base")
            }
            semantic = try await semanticScores(expansion.expandsQuery ? Searcher.expand(q, expansion) : q, also: also, options: options)
            lap("semantic")
            if !base { semantic0 = semantic }
        }
        // Filters act on each side before the expansion is rescaled and sides are normalised, as the
        // SQLite searcher's filters pick the documents first.
        if Searcher.filtersActive(options) {
            var ids = Set(semantic.keys).union(semantic0.keys).union(lexical0.keys)
            for t in terms { ids.formUnion(t.scores.keys) }
            let accepts = Searcher.documentFilter(options)
            let kept = Set(try await store.documents(ids: Array(ids)).filter(accepts).map(\.id))
            func keep(_ scores: DocumentScores) -> DocumentScores { scores.filter { kept.contains($0.key) } }
            (semantic, semantic0, lexical0) = (keep(semantic), keep(semantic0), keep(lexical0))
            terms = terms.map { (weight: $0.weight, scores: keep($0.scores)) }
            lap("filter")
        }
        let lexical = expanded ? Searcher.expandLexical(lexical0, terms: terms, strength: expansion.strength) : lexical0
        var fused = Searcher.fuse(semantic: semantic, lexical: lexical, options: options)
        let kept = Searcher.keepFirst(&fused, expansion: expansion, semantic: semantic0, lexical: lexical0, options: options)
        Searcher.refind(&fused, opened: opened, strength: expansion.refind)
        var ranking = Ranking(top: Searcher.topDocuments(fused, limit: options.limit), semantic: semantic, lexical: lexical)
        ranking.kept = kept
        if request.explain {
            let (s, l) = expanded ? (semantic0, lexical0) : (semantic, lexical)
            ranking.base = (Searcher.scoreParts(semantic: s, lexical: l, options: options), s, l)
        }
        lap("rank")
        return ranking
    }

    /// Hits for ranked documents: their rows and best chunks, read for these documents only.
    func hits(_ top: [(key: Int64, value: Double)], query: String, semantic: DocumentScores, lexical: DocumentScores,
              options: SearchOptions) async throws -> [SearchHit] {
        let preferLexical = options.mode == .lexical || (options.mode == .hybrid && options.alpha < 0.5)
        let chosen = top.map { entry -> Int64? in
            let d = entry.key
            return (preferLexical ? lexical[d]?.chunkID : nil) ?? semantic[d]?.chunkID ?? lexical[d]?.chunkID
        }
        let docs = Dictionary(try await store.documents(ids: top.map(\.key)).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let chunks = try await store.chunks(ids: chosen.compactMap { $0 })
        var hits: [SearchHit] = []
        for (entry, id) in zip(top, chosen) {
            guard let doc = docs[entry.key], let id, let chunk = chunks[id] else { continue }
            let d = entry.key
            let snippet = Snippet(chunk: chunk.text, query: query)
            hits.append(SearchHit(
                rank: hits.count + 1, documentID: d, path: doc.path, title: doc.title,
                line: min(chunk.lineStart + snippet.lineOffset, max(chunk.lineEnd, chunk.lineStart)), lineStart: chunk.lineStart,
                lineEnd: chunk.lineEnd, score: entry.value,
                semantic: options.mode == .lexical ? nil : semantic[d]?.score,
                lexical: options.mode == .semantic ? nil : (lexical[d]?.score ?? 0),
                chunkID: chunk.id, chunkText: chunk.text, snippet: snippet))
        }
        return hits
    }

    /// Top documents for a request, with their best passage; with `explain`, each hit's standing without
    /// the expansion and the top documents without it.
    public func search(_ request: SearchRequest) async throws -> SearchResponse {
        var timings: [String: Double] = [:]
        let start = DispatchTime.now()
        let r = try await ranking(request, timings: &timings)
        let options = request.options
        var hits = try await self.hits(r.top, query: request.text, semantic: r.semantic, lexical: r.lexical, options: options)
        var baseline: [SearchHit]?
        if let base = r.base {
            let baseScores = base.parts.mapValues { $0.semantic + $0.lexical }
            let ranks = Searcher.ranks(of: hits.map(\.documentID), in: baseScores)
            for i in hits.indices {
                let d = hits[i].documentID, p = base.parts[d] ?? (0, 0)
                hits[i].base = BaseScore(rank: ranks[d], score: p.semantic + p.lexical, semantic: p.semantic, lexical: p.lexical)
            }
            baseline = try await self.hits(Searcher.topDocuments(baseScores, limit: options.limit), query: request.text,
                                           semantic: base.semantic, lexical: base.lexical, options: options)
        }
        timings["total"] = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        var response = SearchResponse(query: request.text, mode: options.mode, hits: hits, baseline: baseline, timings: timings)
        response.kept = r.kept
        return response
    }

    /// Top documents for a query, with their best passage.
    public func search(_ text: String, vector: [Float]? = nil, options: SearchOptions = SearchOptions()) async throws -> SearchResponse {
        try await search(SearchRequest(text, vector: vector, options: options))
    }

    /// Ranked paths alone, for evaluation.
    public func rank(_ text: String, vector: [Float]? = nil, options: SearchOptions) async throws -> [(path: String, score: Double)] {
        var timings: [String: Double] = [:]
        let top = try await ranking(SearchRequest(text, vector: vector, options: options), timings: &timings).top
        let docs = Dictionary(try await store.documents(ids: top.map(\.key)).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return top.compactMap { e in docs[e.key].map { ($0.path, e.value) } }
    }

    // MARK: What memory reads of the index

    /// Cosines of the `k` chunks nearest to a vector, best first, for memory's guard: by the HNSW index
    /// where the semantic side uses it, else by an exact scan (as the SQLite searcher's `topCosines`).
    public func topCosines(_ q: [Float], k: Int) async throws -> [Double] {
        if try await approximateCandidates() != nil {
            return try await store.transaction {
                try await store.run("SELECT set_config('hnsw.ef_search', \(String(min(max(k, 40), 1000))), true)")
                try await store.run("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)")
                return try await store.rows("""
                    SELECT 1 - (embedding <=> \(q)::vector) FROM chunks ORDER BY embedding <=> \(q)::vector LIMIT \(Int64(k))
                    """) { try $0.decode(Double.self) }.sorted(by: >)
            }
        }
        // Ordered by the cosine, not by the distance operator, so the planner scans instead of asking the HNSW index.
        return try await store.rows("""
            SELECT s FROM (SELECT 1 - (embedding <=> \(q)::vector) AS s FROM chunks) c ORDER BY s DESC LIMIT \(Int64(k))
            """) { try $0.decode(Double.self) }
    }

    /// Stored vectors of chunks, by id.
    public func chunkVectors(_ ids: [Int64]) async throws -> [Int64: [Float]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await store.rows("SELECT id, embedding::real[] FROM chunks WHERE id = ANY(\(ids))") {
            try $0.decode((Int64, [Float]).self)
        }
        return Dictionary(rows, uniquingKeysWith: { a, _ in a })
    }
}
