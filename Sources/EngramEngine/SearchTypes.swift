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

/// How the semantic side finds the nearest chunks.
public enum VectorSearch: String, CaseIterable, Sendable, Codable {
    /// Exact below `Searcher.approximateFrom` chunks, the graph above.
    case auto
    /// Every chunk's cosine (`--exact`).
    case exact
    /// The graph at any size (`eval beir --ann`).
    case approximate
}

/// Search parameters. Defaults are the measured best (see the README's quality table).
public struct SearchOptions: Sendable {
    public var mode: SearchMode = .hybrid
    public var limit = 10
    public var pathGlob: String?
    /// Only documents in this folder (an absolute path), at any depth.
    public var folder: String?
    public var types: [String] = []
    public var since: Date?
    public var lexical: LexicalScorer = .bm25
    public var fusion: Fusion = .minmax
    /// Weight of the semantic side in min-max fusion.
    public var alpha = 0.6
    public var k1 = 0.9
    public var b = 0.4
    /// Passages shown per document (the best first); 1 shows a document's best passage only.
    public var perFile = 1
    public var vectorSearch: VectorSearch = .auto

    public init() {}
}

/// What the ranking pipeline is asked: the query, and optionally what memory adds to it.
public struct SearchRequest: Sendable {
    public var text: String
    /// The query's embedding, when the caller already has it.
    public var vector: [Float]?
    public var options: SearchOptions
    /// Terms that expand the query on both sides (from short-term memory); empty for none.
    public var expansion: QueryExpansion
    /// Also rank without the expansion, over the same filtered candidates, to explain what it did.
    public var explain: Bool

    public init(_ text: String, vector: [Float]? = nil, options: SearchOptions = SearchOptions(),
                expansion: QueryExpansion = QueryExpansion(), explain: Bool = false) {
        (self.text, self.vector, self.options, self.expansion, self.explain) = (text, vector, options, expansion, explain)
    }
}

/// Weighted texts (with their embeddings) that expand a query:
///
///     semantic: q' = normalize(q + β Σ wᵢ eᵢ)
///     lexical:  bm25(query) + β Σ wᵢ · sᵢ · bm25(textᵢ),   sᵢ = max bm25(query) / max bm25(textᵢ)
///
/// sᵢ rescales each term's BM25 to the query's own, so a long remembered text weighs as much as a short one.
public struct QueryExpansion: Sendable {
    public struct Term: Sendable {
        public var text: String
        public var vector: [Float]
        public var weight: Double
        public init(text: String, vector: [Float], weight: Double) { (self.text, self.vector, self.weight) = (text, vector, weight) }
    }
    /// A document the user opened, to be found again: its score rises by `weight` × the expansion's
    /// `refind` × the best fused score.
    public struct Opened: Sendable {
        public var path: String
        public var weight: Double
        public init(path: String, weight: Double) { (self.path, self.weight) = (path, weight) }
    }
    public var terms: [Term]
    /// β: the strength of all terms together.
    public var strength: Double
    public var opened: [Opened]
    /// δ: how far an opened document rises, as a share of the best fused score.
    public var refind: Double
    /// How many of the query's own best documents (ranked without the expansion) stay first, in their
    /// order, when the query is expanded (``Searcher/keepFirst(_:expansion:semantic:lexical:options:)``); 0: none.
    public var keep: Int
    /// When they stay first: once the query's best document leads its runner-up (without the expansion)
    /// by at least this share of its fused score. 0: always; infinity: never.
    public var keepLead: Double

    public init(terms: [Term] = [], strength: Double = 0, opened: [Opened] = [], refind: Double = 0, keep: Int = 0,
                keepLead: Double = 0) {
        (self.terms, self.strength, self.opened, self.refind, self.keep, self.keepLead) = (terms, strength, opened, refind, keep, keepLead)
    }

    public var isEmpty: Bool { !expandsQuery && !refinds }
    /// Whether the query itself is expanded (its vector and its lexical scores); an expansion that only
    /// lifts opened documents leaves both exactly as they are.
    public var expandsQuery: Bool { !terms.isEmpty && strength != 0 }
    /// Whether any opened document is lifted.
    public var refinds: Bool { refind > 0 && !opened.isEmpty }
    /// Whether the ranking without the expansion is needed to keep the query's own best documents first.
    public var keeps: Bool { expandsQuery && keep > 0 && keepLead.isFinite }
}

/// What the expansion's keep step did: how many of the query's own best documents it kept first, and the
/// lead over the runner-up that decided it (nil when they were kept whatever the lead).
public struct Kept: Sendable, Equatable {
    public var count: Int
    public var lead: Double?
    public init(count: Int = 0, lead: Double? = nil) { (self.count, self.lead) = (count, lead) }
}

/// A hit's standing without the query's expansion, over the same filtered candidates.
public struct BaseScore: Sendable {
    /// Rank without the expansion (nil when the document was not ranked at all without it).
    public var rank: Int?
    /// Score without the expansion, and its semantic and lexical parts (they add up to it).
    public var score: Double
    public var semantic: Double
    public var lexical: Double

    public init(rank: Int?, score: Double, semantic: Double, lexical: Double) {
        (self.rank, self.score, self.semantic, self.lexical) = (rank, score, semantic, lexical)
    }
}

/// One ranked document.
public struct SearchHit: Sendable {
    public var rank: Int
    public var documentID: Int64
    public var path: String
    public var title: String
    /// The line of the passage's best match for the query (its first line when no word matches).
    public var line: Int
    /// The passage's first and last lines.
    public var lineStart: Int
    public var lineEnd: Int
    public var score: Double
    /// Cosine similarity of the best chunk (nil in lexical mode).
    public var semantic: Double?
    /// BM25 of the best lexical chunk (0 when no query term matched; nil in semantic mode).
    public var lexical: Double?
    public var chunkID: Int64
    public var chunkText: String
    /// The excerpt shown for the hit.
    public var snippet: Snippet
    /// With `perFile` > 1: the document's further passages, best first (the hit itself is the best).
    public var passages: [Passage] = []
    /// With `SearchRequest.explain`: the same document ranked without the expansion.
    public var base: BaseScore?
}

/// One more passage of a hit's document.
public struct Passage: Sendable {
    public var chunkID: Int64
    /// The line of the passage's best match, and its first and last lines.
    public var line: Int
    public var lineStart: Int
    public var lineEnd: Int
    /// The passage's own score on the document's scale (what the document would score were this its best passage).
    public var score: Double
    public var text: String
    public var snippet: Snippet
}

/// A ranked list with the time each stage took.
public struct SearchResponse: Sendable {
    public var query: String
    public var mode: SearchMode
    public var hits: [SearchHit]
    /// With `SearchRequest.explain`: the top documents without the expansion.
    public var baseline: [SearchHit]?
    public var timings: [String: Double]
    /// Which of the query's own best documents the expansion kept first, and why (``QueryExpansion/keep``).
    public var kept = Kept()

    public init(query: String, mode: SearchMode, hits: [SearchHit], baseline: [SearchHit]? = nil, timings: [String: Double]) {
        (self.query, self.mode, self.hits, self.baseline, self.timings) = (query, mode, hits, baseline, timings)
    }
}
