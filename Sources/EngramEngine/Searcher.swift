import EngramEmbedding
import EngramStore
import EngramText
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ranks an index's documents for a query: exact cosine over every chunk vector, BM25 over stemmed
/// terms, or both fused. A document scores as its best chunk.
public final class Searcher {
    public let store: IndexStore
    public let encoder: SentenceEncoder
    let analyzer = LexicalAnalyzer()

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

    /// The chunk matrix, read once per process.
    public func vectors() throws -> VectorIndex {
        if let v = cachedVectors { return v }
        let loaded = try store.loadVectors(dimension: encoder.dimension)
        let v = VectorIndex(dimension: encoder.dimension, chunkIDs: loaded.chunkIDs, documentIDs: loaded.documentIDs, matrix: loaded.matrix)
        cachedVectors = v
        return v
    }

    public func documents() throws -> [Int64: IndexStore.Document] {
        if let d = cachedDocuments { return d }
        let d = Dictionary(uniqueKeysWithValues: try store.documents().map { ($0.id, $0) })
        cachedDocuments = d
        return d
    }

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

    /// chunk id → document id, built once.
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

    /// BM25 (Lucene's idf) over the postings of the query's distinct terms.
    func bm25(_ query: String, k1: Double, b: Double) throws -> [Int64: Double] {
        if cachedLengths == nil { cachedLengths = try store.lexicalLengths() }
        let (lengths, average) = cachedLengths!
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

    /// Fuses the two sides into one score per document.
    public static func fuse(semantic: DocumentScores, lexical: DocumentScores, options: SearchOptions) -> [Int64: Double] {
        fusedParts(semantic: semantic, lexical: lexical, options: options).mapValues { $0.semantic + $0.lexical }
    }

    /// Each document's score in the given mode, as its semantic and lexical parts (they add up to it):
    /// one side alone in semantic or lexical mode, the fused shares in hybrid mode.
    public static func scoreParts(semantic: DocumentScores, lexical: DocumentScores, options: SearchOptions)
        -> [Int64: (semantic: Double, lexical: Double)]
    {
        switch options.mode {
        case .semantic: return semantic.mapValues { ($0.score, 0) }
        case .lexical: return lexical.mapValues { (0, $0.score) }
        case .hybrid: return fusedParts(semantic: semantic, lexical: lexical, options: options)
        }
    }

    /// Each side's share of the fused score: α·(min-max normalised cosine) and (1 − α)·(BM25 / max BM25)
    /// for min-max fusion, 1/(60 + rank) per side for RRF. A fused score is the sum of its two parts.
    public static func fusedParts(semantic: DocumentScores, lexical: DocumentScores, options: SearchOptions)
        -> [Int64: (semantic: Double, lexical: Double)]
    {
        switch options.fusion {
        case .minmax:
            let dense = semantic.values.map(\.score)
            let lo = dense.min() ?? 0, hi = dense.max() ?? 1
            let lexMax = lexical.values.map(\.score).max() ?? 0
            var out: [Int64: (semantic: Double, lexical: Double)] = [:]
            out.reserveCapacity(semantic.count)
            for (d, s) in semantic {
                let dn = hi > lo ? (s.score - lo) / (hi - lo) : 0
                let ln = lexMax > 0 ? (lexical[d]?.score ?? 0) / lexMax : 0
                out[d] = (options.alpha * dn, (1 - options.alpha) * ln)
            }
            return out
        case .rrf:
            var out: [Int64: (semantic: Double, lexical: Double)] = [:]
            for (r, entry) in semantic.sorted(by: { $0.value.score > $1.value.score }).prefix(1000).enumerated() {
                out[entry.key, default: (0, 0)].semantic = 1 / (60 + Double(r + 1))
            }
            for (r, entry) in lexical.sorted(by: { $0.value.score > $1.value.score }).prefix(1000).enumerated() {
                out[entry.key, default: (0, 0)].lexical = 1 / (60 + Double(r + 1))
            }
            return out
        }
    }

    /// The ranked documents alone (no chunk text), for evaluation; `vector` skips embedding the query.
    public func rank(_ query: String, vector: [Float]? = nil, options: SearchOptions) throws -> [(path: String, score: Double)] {
        let docs = try documents()
        let semantic = options.mode == .lexical ? [:] : try semanticScores(vector ?? encoder.encode(query))
        let lexical = options.mode == .semantic ? [:] : try lexicalScores(query, options: options)
        let scores = Self.scoreParts(semantic: semantic, lexical: lexical, options: options).mapValues { $0.semantic + $0.lexical }
        return scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(options.limit)
            .compactMap { entry in docs[entry.key].map { ($0.path, entry.value) } }
    }

    /// The top `options.limit` documents by `scores` that pass the filters, with their best chunks.
    public func hits(scores: [Int64: Double], semantic: DocumentScores, lexical: DocumentScores, options: SearchOptions) throws -> [SearchHit] {
        let docs = try documents()
        let allowed = Filter(options)
        let candidates = allowed.active ? scores.filter { docs[$0.key].map(allowed.accepts) ?? false } : scores
        let top = candidates.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(options.limit)
        return try top.enumerated().compactMap { rank, entry -> SearchHit? in
            guard let doc = docs[entry.key] else { return nil }
            let d = entry.key
            let preferLexical = options.mode == .lexical || (options.mode == .hybrid && options.alpha < 0.5)
            let id = (preferLexical ? lexical[d]?.chunkID : nil) ?? semantic[d]?.chunkID ?? lexical[d]?.chunkID
            guard let id, let chunk = try store.chunk(id: id) else { return nil }
            return SearchHit(
                rank: rank + 1, documentID: doc.id, path: doc.path, title: doc.title, line: chunk.lineStart,
                lineEnd: chunk.lineEnd, score: entry.value,
                semantic: options.mode == .lexical ? nil : semantic[d]?.score,
                lexical: options.mode == .semantic ? nil : (lexical[d]?.score ?? 0),
                chunkID: chunk.id, chunkText: chunk.text)
        }
    }

    /// Top documents for a query under the given options.
    public func search(_ query: String, options: SearchOptions = SearchOptions()) throws -> SearchResponse {
        var timings: [String: Double] = [:]
        func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let start = DispatchTime.now()
            defer { timings[name] = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6 }
            return try body()
        }
        _ = try timed("load") { () throws -> [Int64: IndexStore.Document] in
            _ = try vectors()
            return try documents()
        }
        var semantic: DocumentScores = [:], lexical: DocumentScores = [:]
        if options.mode != .lexical {
            let vector = timed("embed") { encoder.encode(query) }
            semantic = try timed("semantic") { try semanticScores(vector) }
        }
        if options.mode != .semantic {
            lexical = try timed("lexical") { try lexicalScores(query, options: options) }
        }
        let hits = try timed("rank") { () throws -> [SearchHit] in
            let scores = Self.scoreParts(semantic: semantic, lexical: lexical, options: options).mapValues { $0.semantic + $0.lexical }
            return try self.hits(scores: scores, semantic: semantic, lexical: lexical, options: options)
        }
        return SearchResponse(query: query, mode: options.mode, hits: hits, timings: timings)
    }
}

/// `--path`, `--type` and `--since` filters over document metadata.
struct Filter {
    let glob: String?
    let types: Set<String>
    let since: Double?

    init(_ o: SearchOptions) {
        glob = o.pathGlob
        types = Set(o.types.map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")) })
        since = o.since?.timeIntervalSince1970
    }

    var active: Bool { glob != nil || !types.isEmpty || since != nil }

    func accepts(_ d: IndexStore.Document) -> Bool {
        if let since, d.mtime < since { return false }
        if !types.isEmpty {
            let ext = (d.path as NSString).pathExtension.lowercased()
            if !types.contains(ext) && !types.contains(d.type) { return false }
        }
        if let glob {
            // A glob without a slash matches the file name; with one, the whole path (or its tail).
            let target = glob.contains("/") ? d.path : (d.path as NSString).lastPathComponent
            if fnmatch(glob, target, 0) != 0 && !(glob.contains("/") && fnmatch("*/" + glob, d.path, 0) == 0) { return false }
        }
        return true
    }
}
