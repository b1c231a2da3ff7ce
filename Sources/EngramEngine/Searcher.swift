import EngramEmbedding
import EngramStore
import EngramText
import Foundation

/// The ranking pipeline, the one way from a query to ranked documents:
///
///     query (+ expansion from memory) → semantic side, lexical side → filters → fusion → ranked hits
///
/// Semantic: exact cosine over every chunk vector. Lexical: BM25 over stemmed terms. Hybrid: both,
/// fused. A document scores as its best chunk. With `explain`, the same filtered candidates are also
/// ranked without the expansion, so "rank without memory" is what a search without memory shows.
public final class Searcher {
    public let store: IndexStore
    public let encoder: SentenceEncoder
    let analyzer = LexicalAnalyzer()
    /// Called once per process with a line about damage the index can live with (such as bad vectors).
    public var warn: (String) -> Void = { _ in }

    private var cachedVectors: VectorIndex?
    private var cachedDocuments: [Int64: IndexStore.Document]?
    private var cachedLengths: (lengths: [Int64: Int], average: Double)?
    private var cachedDocumentOf: [Int64: Int64]?
    private var cachedRowOf: [Int64: Int]?

    public init(store: IndexStore, encoder: SentenceEncoder) throws {
        self.store = store
        self.encoder = encoder
        try store.bindModel(identity: encoder.identity, dimension: encoder.dimension)
    }

    // MARK: Index data, read once per process

    /// The chunk matrix.
    public func vectors() throws -> VectorIndex {
        if let v = cachedVectors { return v }
        let loaded = try store.loadVectors(dimension: encoder.dimension)
        if !loaded.damaged.isEmpty {
            warn("\(loaded.damaged.count) damaged vector\(loaded.damaged.count == 1 ? "" : "s") in \(store.path) left out of search "
                 + "(chunk \(loaded.damaged.prefix(3).map(String.init).joined(separator: ", "))\(loaded.damaged.count > 3 ? ", …" : "")): "
                 + "run `engram check --repair --index \(store.path)`")
        }
        let v = VectorIndex(dimension: encoder.dimension, chunkIDs: loaded.chunkIDs, documentIDs: loaded.documentIDs, matrix: loaded.matrix)
        cachedVectors = v
        return v
    }

    public func documents() throws -> [Int64: IndexStore.Document] {
        if let d = cachedDocuments { return d }
        let d = Dictionary(uniqueKeysWithValues: try store.read { try store.documents() }.map { ($0.id, $0) })
        cachedDocuments = d
        return d
    }

    func lexicalLengths() throws -> (lengths: [Int64: Int], average: Double) {
        if let l = cachedLengths { return l }
        let l = try store.lexicalLengths()
        cachedLengths = l
        return l
    }

    /// chunk id → document id.
    func documentOfChunk() throws -> [Int64: Int64] {
        if let d = cachedDocumentOf { return d }
        let index = try vectors()
        var d: [Int64: Int64] = [:]
        d.reserveCapacity(index.count)
        for row in 0..<index.count { d[index.chunkIDs[row]] = index.documentIDs[row] }
        cachedDocumentOf = d
        return d
    }

    /// The stored vector of a chunk, from the in-memory matrix.
    public func chunkVector(_ chunkID: Int64) throws -> [Float]? {
        let index = try vectors()
        if cachedRowOf == nil {
            cachedRowOf = Dictionary(uniqueKeysWithValues: index.chunkIDs.enumerated().map { ($1, $0) })
        }
        guard let row = cachedRowOf![chunkID] else { return nil }
        return index.row(row)
    }

    // MARK: The pipeline

    /// Ranked documents with their sides, before any chunk text is read.
    struct Ranking {
        var top: [(key: Int64, value: Double)]
        var semantic: DocumentScores
        var lexical: DocumentScores
        /// The query vector the semantic side used (expanded by memory), for ranking a document's passages.
        var queryVector: [Float] = []
        /// With `explain`: every candidate's score parts without the expansion, and its own sides.
        var base: (parts: [Int64: (semantic: Double, lexical: Double)], semantic: DocumentScores, lexical: DocumentScores)?
    }

    func ranking(_ request: SearchRequest, timings: inout [String: Double]) throws -> Ranking {
        func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T { try self.timed(&timings, name, body) }
        let options = request.options, expansion = request.expansion
        let expanded = !expansion.isEmpty

        // 1. Semantic side: the query's embedding, pulled towards the expansion's.
        var semantic: DocumentScores = [:], semantic0: DocumentScores = [:]
        var queryVector: [Float] = []
        if options.mode != .lexical {
            let q = timed("embed") { request.vector ?? encoder.encode(request.text) }
            queryVector = expanded ? Self.expand(q, expansion) : q
            semantic = try timed("semantic") { try semanticScores(queryVector) }
            semantic0 = expanded && request.explain ? try timed("base") { try semanticScores(q) } : semantic
        }
        // 2. Lexical side: the query's BM25 plus each expansion term's, rescaled to the query's.
        var lexical: DocumentScores = [:], lexical0: DocumentScores = [:]
        if options.mode != .semantic {
            lexical0 = try timed("lexical") { try lexicalScores(request.text, options: options) }
            lexical = lexical0
            if expanded {
                try timed("expansion_lexical") {
                    let queryMax = lexical0.values.lazy.map(\.score).max() ?? 0
                    for term in expansion.terms {
                        let scores = try lexicalScores(term.text, options: options)
                        let termMax = scores.values.lazy.map(\.score).max() ?? 0
                        guard termMax > 0, queryMax > 0 else { continue }
                        let factor = expansion.strength * term.weight * queryMax / termMax
                        for (d, s) in scores {
                            if let current = lexical[d] {
                                lexical[d] = (current.score + factor * s.score, current.chunkID)
                            } else {
                                lexical[d] = (factor * s.score, s.chunkID)
                            }
                        }
                    }
                }
            }
        }
        // 3. Filters, before fusion: normalisation and ranks are those of the documents the user asked for.
        let filter = Filter(options)
        if filter.active {
            let docs = try documents()
            timed("filter") {
                func keep(_ scores: DocumentScores) -> DocumentScores { scores.filter { docs[$0.key].map(filter.accepts) ?? false } }
                semantic = keep(semantic)
                lexical = keep(lexical)
                if request.explain && expanded {
                    semantic0 = keep(semantic0)
                    lexical0 = keep(lexical0)
                }
            }
        }
        // 4. Fusion and the top documents.
        return timed("rank") {
            let fused = Self.fuse(semantic: semantic, lexical: lexical, options: options)
            var ranking = Ranking(top: Self.top(fused, options.limit), semantic: semantic, lexical: lexical, queryVector: queryVector)
            if request.explain {
                let parts = expanded ? Self.scoreParts(semantic: semantic0, lexical: lexical0, options: options)
                                     : Self.scoreParts(semantic: semantic, lexical: lexical, options: options)
                ranking.base = (parts, expanded ? semantic0 : semantic, expanded ? lexical0 : lexical)
            }
            return ranking
        }
    }

    /// Runs `body`, adding its milliseconds to `timings[name]`.
    func timed<T>(_ timings: inout [String: Double], _ name: String, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now()
        defer { timings[name, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6 }
        return try body()
    }

    /// normalize(q + β Σ wᵢ eᵢ), accumulated in Double.
    static func expand(_ q: [Float], _ expansion: QueryExpansion) -> [Float] {
        var x = q.map(Double.init)
        for term in expansion.terms {
            for j in x.indices { x[j] += expansion.strength * term.weight * Double(term.vector[j]) }
        }
        let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return x.map { Float($0 / max(norm, 1e-12)) }
    }

    /// Top documents for a request, with their best passages.
    public func search(_ request: SearchRequest) throws -> SearchResponse {
        var timings: [String: Double] = [:]
        let start = DispatchTime.now()
        _ = try vectors()
        _ = try documents()
        timings["load"] = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        let r = try ranking(request, timings: &timings)
        var hits = try self.hits(r.top, query: request.text, semantic: r.semantic, lexical: r.lexical, options: request.options)
        if request.options.perFile > 1 {
            hits = try timed(&timings, "passages") { try addPassages(hits, request: request, ranking: r) }
        }
        var baseline: [SearchHit]?
        if let base = r.base {
            let baseScores = base.parts.mapValues { $0.semantic + $0.lexical }
            let ranks = Self.ranks(of: hits.map(\.documentID), in: baseScores)
            for i in hits.indices {
                let d = hits[i].documentID, p = base.parts[d] ?? (0, 0)
                hits[i].base = BaseScore(rank: ranks[d], score: p.semantic + p.lexical, semantic: p.semantic, lexical: p.lexical)
            }
            baseline = try self.hits(Self.top(baseScores, request.options.limit), query: request.text, semantic: base.semantic,
                                     lexical: base.lexical, options: request.options)
        }
        timings["total"] = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
        return SearchResponse(query: request.text, mode: request.options.mode, hits: hits, baseline: baseline, timings: timings)
    }

    /// Top documents for a query under the given options.
    public func search(_ query: String, options: SearchOptions = SearchOptions()) throws -> SearchResponse {
        try search(SearchRequest(query, options: options))
    }

    /// The ranked documents alone (no chunk text), for evaluation.
    public func rank(_ request: SearchRequest) throws -> [(path: String, score: Double)] {
        var timings: [String: Double] = [:]
        let docs = try documents()
        return try ranking(request, timings: &timings).top.compactMap { entry in docs[entry.key].map { ($0.path, entry.value) } }
    }

    /// The ranked documents alone; `vector` skips embedding the query.
    public func rank(_ query: String, vector: [Float]? = nil, options: SearchOptions) throws -> [(path: String, score: Double)] {
        try rank(SearchRequest(query, vector: vector, options: options))
    }

    /// Hits for ranked documents: their rows and best chunks, read for these documents only.
    func hits(_ top: [(key: Int64, value: Double)], query: String, semantic: DocumentScores, lexical: DocumentScores,
              options: SearchOptions) throws -> [SearchHit] {
        let docs = try documents()
        let preferLexical = options.mode == .lexical || (options.mode == .hybrid && options.alpha < 0.5)
        return try store.read {
            try top.enumerated().compactMap { rank, entry -> SearchHit? in
                guard let doc = docs[entry.key] else { return nil }
                let d = entry.key
                let id = (preferLexical ? lexical[d]?.chunkID : nil) ?? semantic[d]?.chunkID ?? lexical[d]?.chunkID
                guard let id, let chunk = try store.chunk(id: id) else { return nil }
                let snippet = Snippet(chunk: chunk.text, query: query)
                return SearchHit(
                    rank: rank + 1, documentID: doc.id, path: doc.path, title: doc.title,
                    line: min(chunk.lineStart + snippet.lineOffset, max(chunk.lineEnd, chunk.lineStart)), lineStart: chunk.lineStart,
                    lineEnd: chunk.lineEnd, score: entry.value,
                    semantic: options.mode == .lexical ? nil : semantic[d]?.score,
                    lexical: options.mode == .semantic ? nil : (lexical[d]?.score ?? 0),
                    chunkID: chunk.id, chunkText: chunk.text, snippet: snippet)
            }
        }
    }
}
