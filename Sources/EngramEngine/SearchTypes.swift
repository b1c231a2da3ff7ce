import Foundation

/// How results are ranked.
public enum SearchMode: String, CaseIterable, Sendable, Codable {
    /// Semantic and lexical scores fused (the default).
    case hybrid
    /// Cosine similarity of the query's and the chunks' embeddings.
    case semantic
    /// BM25 over stemmed terms.
    case lexical
}

/// Which lexical scoring the lexical side uses.
public enum LexicalScorer: String, CaseIterable, Sendable, Codable {
    /// Engram's own BM25 (k1, b tunable; stopwords dropped; Porter stems).
    case bm25
    /// SQLite FTS5's built-in bm25() (k1 = 1.2, b = 0.75 fixed), query terms OR-ed.
    case fts5
}

/// How the hybrid mode combines the two sides.
public enum Fusion: String, CaseIterable, Sendable, Codable {
    /// Per query, each side's document scores are min-max normalised, then blended with weight `alpha` on semantic.
    case minmax
    /// Reciprocal rank fusion, Σ 1 / (60 + rank).
    case rrf
}

/// Search parameters. Defaults are the measured best (see the README's quality table).
public struct SearchOptions: Sendable {
    public var mode: SearchMode = .hybrid
    public var limit = 10
    public var pathGlob: String?
    public var types: [String] = []
    public var since: Date?
    public var lexical: LexicalScorer = .bm25
    public var fusion: Fusion = .minmax
    /// Weight of the semantic side in min-max fusion.
    public var alpha = 0.6
    public var k1 = 0.9
    public var b = 0.4

    public init() {}
}

/// One ranked document.
public struct SearchHit: Sendable {
    public var rank: Int
    public var documentID: Int64
    public var path: String
    public var title: String
    public var line: Int
    public var lineEnd: Int
    public var score: Double
    /// Cosine similarity of the best chunk (nil in lexical mode).
    public var semantic: Double?
    /// BM25 of the best lexical chunk (0 when no query term matched; nil in semantic mode).
    public var lexical: Double?
    public var chunkID: Int64
    public var chunkText: String
}

/// A ranked list with the time each stage took.
public struct SearchResponse: Sendable {
    public var query: String
    public var mode: SearchMode
    public var hits: [SearchHit]
    public var timings: [String: Double]

    public init(query: String, mode: SearchMode, hits: [SearchHit], timings: [String: Double]) {
        (self.query, self.mode, self.hits, self.timings) = (query, mode, hits, timings)
    }
}
