import EngramEmbedding
import EngramStore
import EngramText
import Foundation

/// The ranking pipeline, the one way from a query to ranked documents:
///
///     query (+ expansion from memory) → semantic side, lexical side → filters → fusion → ranked hits
///
/// Semantic: cosine with the chunk vectors, every one or the graph's shortlist. Lexical: top-k BM25 over stemmed terms. Hybrid: both,
/// fused. A document scores as its best chunk. With `explain`, the same filtered candidates are also
/// ranked without the expansion, so "rank without memory" is what a search without memory shows.
public final class Searcher {
    public let store: IndexStore
    public let encoder: SentenceEncoder
    let analyzer = LexicalAnalyzer()
    /// Called once per process with a line about damage the index can live with (such as bad vectors).
    public var warn: (String) -> Void = { _ in }

    private var cachedData: SearchData?
    private var cachedDocuments: [Int64: IndexStore.Document] = [:]
    /// The last exact scan of the segment: a search with memory scans for the same query vector more than
    /// once (the guard's statistics, the semantic side, the ranking without memory that explains it).
    var lastScan: (segment: ObjectIdentifier, vector: [Float], scores: [Float])?
    /// The last graph walk, for the same reason at scale.
    var lastWalk: (segment: ObjectIdentifier, vector: [Float], k: Int, hits: [(row: Int, score: Float)])?
    /// A filter that allows this many documents or fewer has every chunk of theirs scored; more, and the
    /// graph proposes candidates among them (a setting so that tests reach the graph's path on a small index).
    public var filterScoresAllUpTo = Searcher.approximateFrom / 2
    /// Opened paths' document ids (nil: no longer indexed), for re-finding.
    private var openedIDs: [String: Int64?] = [:]

    public init(store: IndexStore, encoder: SentenceEncoder) throws {
        self.store = store
        self.encoder = encoder
        try store.bindModel(identity: encoder.identity, dimension: encoder.dimension)
    }

    // MARK: Index data, read once per process

    /// The segment and the chunks outside it, from one snapshot.
    func data() throws -> SearchData {
        if let d = cachedData { return d }
        let d = try store.read { try SearchData(store: store, dimension: encoder.dimension, warn: warn) }
        cachedData = d
        return d
    }

    /// Loads what search reads once per process (a long-lived reader does it before its first request).
    public func prepare() throws { _ = try data() }

    /// How many chunks search sees.
    public func chunkCount() throws -> Int { try data().chunkCount }

    /// One document's row, read on first use.
    public func document(_ id: Int64) throws -> IndexStore.Document? {
        if let d = cachedDocuments[id] { return d }
        guard let d = try store.document(id: id) else { return nil }
        cachedDocuments[id] = d
        return d
    }

    /// The documents a filter accepts: one pass over the documents table's keys (a folder's range only).
    func allowedDocuments(_ filter: Filter) throws -> Set<Int64> {
        Set(try store.read { try store.documentKeys(folder: filter.folder, since: filter.since) }.lazy.filter(filter.accepts).map(\.id))
    }

    /// Every document row (a whole-index read: for tools, not for the search path).
    public func documents() throws -> [Int64: IndexStore.Document] {
        Dictionary(uniqueKeysWithValues: try store.read { try store.documents() }.map { ($0.id, $0) })
    }

    /// The stored vector of a chunk.
    public func chunkVector(_ chunkID: Int64) throws -> [Float]? {
        try data().vector(ofChunk: chunkID)
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
        /// How many of the query's own best documents were kept first, and why.
        var kept = Kept()
    }

    func ranking(_ request: SearchRequest, timings: inout [String: Double]) throws -> Ranking {
        func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T { try self.timed(&timings, name, body) }
        let options = request.options, expansion = request.expansion
        let expanded = !expansion.isEmpty

        // Filters come first: each side ranks only the documents the user asked for, so normalisation and
        // ranks are theirs.
        let filter = Filter(options)
        let allowed = filter.active ? try timed("filter") { try allowedDocuments(filter) } : nil

        // Opened documents to be found again, by id (a path that has left the index drops out).
        let opened = expansion.refinds ? try timed("refind") { try openedDocuments(expansion) } : [:]

        // 1. Lexical side: the query's BM25 plus each expansion term's, rescaled to the query's.
        var lexical: DocumentScores = [:], lexical0: DocumentScores = [:]
        if options.mode != .semantic {
            lexical0 = try timed("lexical") { try lexicalScores(request.text, options: options, allowed: allowed) }
            lexical = lexical0
            if expansion.expandsQuery {
                try timed("expansion_lexical") {
                    let terms = try expansion.terms.map {
                        (weight: $0.weight, scores: try lexicalScores($0.text, options: options, allowed: allowed, limit: Self.expansionShortlist))
                    }
                    lexical = Self.expandLexical(lexical0, terms: terms, strength: expansion.strength)
                }
            }
        }
        // 2. Semantic side: the query's embedding, pulled towards the expansion's; the lexical side's
        // documents are scored too, so each candidate has both sides.
        var semantic: DocumentScores = [:], semantic0: DocumentScores = [:]
        var queryVector: [Float] = []
        var q: [Float] = []
        if options.mode != .lexical {
            q = timed("embed") { request.vector ?? encoder.encode(request.text) }
            queryVector = expansion.expandsQuery ? Self.expand(q, expansion) : q
            let also = Set(lexical.keys).union(opened.keys)
            if expansion.expandsQuery && (request.explain || expansion.keeps) {
                // With memory and without it in one pass over the candidates' vectors.
                let both = try timed("semantic") {
                    try semanticScores([(queryVector, also), (q, Set(lexical0.keys))], options: options, allowed: allowed,
                                       firstScoresAll: expansion.keeps)
                }
                (semantic, semantic0) = (both[0], both[1])
            } else {
                semantic = try timed("semantic") { try semanticScores(queryVector, also: also, options: options, allowed: allowed) }
                semantic0 = semantic
            }
        }
        // 3. Fusion and the top documents.
        return timed("rank") {
            var fused = Self.fuse(semantic: semantic, lexical: lexical, options: options)
            let kept = Self.keepFirst(&fused, expansion: expansion, semantic: semantic0, lexical: lexical0, options: options)
            Self.refind(&fused, opened: opened, strength: expansion.refind)
            var ranking = Ranking(top: Self.top(fused, options.limit), semantic: semantic, lexical: lexical, queryVector: queryVector)
            ranking.kept = kept
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

    /// The lexical side with memory: the query's scores plus each term's, rescaled to the query's best
    /// (β · wᵢ · max bm25(query) / max bm25(termᵢ)); a document the query missed keeps its term's chunk.
    public static func expandLexical(_ query: DocumentScores, terms: [(weight: Double, scores: DocumentScores)], strength: Double)
        -> DocumentScores
    {
        var lexical = query
        let queryMax = query.values.lazy.map(\.score).max() ?? 0
        for term in terms {
            let termMax = term.scores.values.lazy.map(\.score).max() ?? 0
            guard termMax > 0, queryMax > 0 else { continue }
            let factor = strength * term.weight * queryMax / termMax
            for (d, s) in term.scores {
                if let current = lexical[d] {
                    lexical[d] = (current.score + factor * s.score, current.chunkID)
                } else {
                    lexical[d] = (factor * s.score, s.chunkID)
                }
            }
        }
        return lexical
    }

    /// The expansion's opened documents by id, with their weights summed (read once per path and process).
    func openedDocuments(_ expansion: QueryExpansion) throws -> [Int64: Double] {
        var out: [Int64: Double] = [:]
        for o in expansion.opened {
            let id: Int64?
            if let known = openedIDs[o.path] { id = known } else {
                id = try store.read { try store.document(path: o.path)?.id }
                openedIDs[o.path] = id
            }
            if let id { out[id, default: 0] += o.weight }
        }
        return out
    }

    /// Re-finding: each opened document's fused score rises by δ · w · the best fused score, so the lift
    /// is a share of the scale whatever the fusion. Only documents the pipeline ranked (those a filter
    /// accepts) are lifted. Session-search studies find a result the user opened the strongest evidence
    /// of what they want next (Shen, Tan & Zhai, SIGIR 2005); the guard decides whether the open is about
    /// this query at all.
    public static func refind(_ fused: inout [Int64: Double], opened: [Int64: Double], strength: Double) {
        guard strength > 0, !opened.isEmpty, let best = fused.values.max(), best > 0 else { return }
        for (d, w) in opened {
            if let s = fused[d] { fused[d] = s + strength * w * best }
        }
    }

    /// The query's own best documents, ranked without the expansion (`kept`, best first), stay first and in
    /// their order: each is raised, only if it must be, just above everything ranked after it. Memory adds
    /// context to what the user typed and reorders what follows; when it is unsure, or the query has a clear
    /// answer of its own (the caller decides), it never pushes out the query's best match.
    /// When memory is wrong about the topic this caps the damage at one place, and when it is right the
    /// query's best match is usually one of the documents it promotes anyway. Re-finding comes after, so
    /// a document the user opened can still rise above it. A kept document the ranking does not hold is
    /// left out (with min-max fusion the expanded query scores every document the query alone would; with
    /// RRF each side fuses its best 1,000 only).
    public static func keepFirst(_ fused: inout [Int64: Double], kept: [Int64]) {
        let kept = kept.filter { fused[$0] != nil }
        guard !kept.isEmpty else { return }
        let keptSet = Set(kept)
        guard var floor = fused.lazy.filter({ !keptSet.contains($0.key) }).map(\.value).max() else { return }
        for d in kept.reversed() {
            if let s = fused[d], s <= floor { fused[d] = floor.nextUp }
            floor = fused[d] ?? floor
        }
    }

    /// The expansion's keep step, shared by every store: the query's own best documents (`semantic` and
    /// `lexical` are its sides without the expansion) stay first when the expansion keeps them and the
    /// best leads its runner-up by `keepLead` of its fused score or more. A query whose best match stands
    /// out has an answer of its own; memory is for the short queries that do not. The lead is relative,
    /// so it reads alike on any min-max scale (under RRF leads are tiny and only `keepLead` 0 keeps).
    /// Returns how many documents were kept, with the lead when it decided.
    @discardableResult
    public static func keepFirst(_ fused: inout [Int64: Double], expansion: QueryExpansion, semantic: DocumentScores,
                                 lexical: DocumentScores, options: SearchOptions) -> Kept
    {
        guard expansion.keeps else { return Kept() }
        let best = Self.best(max(expansion.keep, 2), semantic: semantic, lexical: lexical, options: options)
        guard let first = best.first else { return Kept() }
        let lead = best.count < 2 ? 1 : first.value > 0 ? (first.value - best[1].value) / first.value : 0
        guard lead >= expansion.keepLead else { return Kept() }
        let kept = best.prefix(expansion.keep).map(\.key).filter { fused[$0] != nil }
        keepFirst(&fused, kept: kept)
        return Kept(count: kept.count, lead: expansion.keepLead > 0 ? lead : nil)
    }

    /// normalize(q + β Σ wᵢ eᵢ), accumulated in Double.
    public static func expand(_ q: [Float], _ expansion: QueryExpansion) -> [Float] {
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
        try prepare()
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
        var response = SearchResponse(query: request.text, mode: request.options.mode, hits: hits, baseline: baseline, timings: timings)
        response.kept = r.kept
        return response
    }

    /// Top documents for a query under the given options.
    public func search(_ query: String, options: SearchOptions = SearchOptions()) throws -> SearchResponse {
        try search(SearchRequest(query, options: options))
    }

    /// The ranked documents alone (no chunk text), for evaluation.
    public func rank(_ request: SearchRequest) throws -> [(path: String, score: Double)] {
        var timings: [String: Double] = [:]
        return try ranking(request, timings: &timings).top.compactMap { entry in try document(entry.key).map { ($0.path, entry.value) } }
    }

    /// The ranked documents alone; `vector` skips embedding the query.
    public func rank(_ query: String, vector: [Float]? = nil, options: SearchOptions) throws -> [(path: String, score: Double)] {
        try rank(SearchRequest(query, vector: vector, options: options))
    }

    /// Hits for ranked documents: their rows and best chunks, read for these documents only.
    func hits(_ top: [(key: Int64, value: Double)], query: String, semantic: DocumentScores, lexical: DocumentScores,
              options: SearchOptions) throws -> [SearchHit] {
        let preferLexical = options.mode == .lexical || (options.mode == .hybrid && options.alpha < 0.5)
        return try store.read {
            try top.enumerated().compactMap { rank, entry -> SearchHit? in
                guard let doc = try document(entry.key) else { return nil }
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
