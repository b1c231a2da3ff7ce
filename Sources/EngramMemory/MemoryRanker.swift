import EngramEmbedding
import EngramEngine
import EngramStore
import Foundation

/// How memory changed one result.
public struct MemoryExplanation: Sendable {
    public struct Contribution: Sendable {
        public let entryID: Int64
        public let text: String
        public let weight: Double
        /// Cosine between the entry and the result's best chunk.
        public let similarity: Double
        /// The result is the document this entry opened, lifted to be found again (`weight` is then the
        /// entry's re-finding weight).
        public var refound = false
        /// The entry's kind ("query" or "open") and, for an open, the opened document's path: how it is named.
        public var kind = "query"
        public var path: String?
    }
    /// The result without memory: its rank (nil when it was not ranked at all), score and score parts.
    public let base: BaseScore
    /// Score with memory minus score without.
    public let memoryScore: Double
    public let rank: Int
    public let contributions: [Contribution]
    /// The query's own best match, kept first while memory reorders what follows (``MemoryConfig/keepFirst``).
    public var kept = false
    /// When it was kept for its lead over the query's runner-up (memory fairly sure), that lead.
    public var keptLead: Double?

    /// Why the result is where it is, when it was kept first: in words, for `--explain`.
    public var keptReason: String? {
        guard kept else { return nil }
        return "the query's own best match, kept first"
            + (keptLead.map { String(format: ": it leads the next by %.0f %% without memory", $0 * 100) } ?? " while memory is unsure of the topic")
    }
}

/// A search re-ranked with memory, with everything needed to explain it.
public struct MemoryResult: Sendable {
    public var response: SearchResponse
    /// Per hit, in hit order; empty unless the search was asked to explain.
    public var explanations: [MemoryExplanation]
    /// Every entry with its current weight (active or not).
    public var entries: [WeightedEntry]
    /// Entries that took part (weight ≥ floor, or an opened document lifted to be found again).
    public var active: [WeightedEntry] { entries.filter { $0.takesPart(floor: floor) } }
    let floor: Double

    public init(response: SearchResponse, explanations: [MemoryExplanation], entries: [WeightedEntry], floor: Double) {
        (self.response, self.explanations, self.entries, self.floor) = (response, explanations, entries, floor)
    }
}

/// The store-independent steps of a search with memory, shared by every store's ranking pipeline:
/// whether the guard needs the index's statistics, the expansion, and the explanations.
extension MemoryModel {
    /// Whether any entry could count at all (its decay alone above the floor): only then does the guard
    /// need the query's statistics, which cost a scan.
    public static func anyLive(_ entries: [MemoryStore.Entry], now: Double, searches: Int, config: MemoryConfig) -> Bool {
        entries.contains { decay(entry: $0, now: now, searches: searches, config: config) >= config.floor }
    }

    /// The expansion that `entries` give a query whose embedding is `q`, and every entry's weight.
    public static func expansion(_ entries: [MemoryStore.Entry], query q: [Float], statistics: QueryStatistics?, now: Double,
                                 searches: Int, config: MemoryConfig) -> (expansion: QueryExpansion, weighted: [WeightedEntry])
    {
        let weighted = weigh(entries, query: q, statistics: statistics, now: now, searches: searches, config: config)
        let terms = weighted.filter { $0.weight >= config.floor }.map {
            QueryExpansion.Term(text: $0.entry.text, vector: $0.entry.vector, weight: $0.weight)
        }
        let opened = weighted.filter { $0.refindWeight >= config.floor }.compactMap { w in
            w.entry.path.map { QueryExpansion.Opened(path: $0, weight: w.refindWeight) }
        }
        let keep = keeps(weighted, config: config)
        return (QueryExpansion(terms: terms, strength: config.beta, opened: opened, refind: config.refind,
                               keep: keep.count, keepLead: keep.lead), weighted)
    }

    /// How many of the query's own best documents stay first while memory expands the query (`keepFirst`),
    /// and the lead over its runner-up the best needs for that, by how sure memory is (the highest guard
    /// of an entry in effect): none while it is under `keepBelow`; `keepLead` while it is under
    /// `keepLeadBelow`; past that (or with `keepLead` 1) infinite: the first place is memory's.
    public static func keeps(_ weighted: [WeightedEntry], config: MemoryConfig) -> (count: Int, lead: Double) {
        let expanding = weighted.filter { $0.weight >= config.floor }
        guard config.beta != 0, config.keepFirst > 0, let sure = expanding.map(\.gate).max() else { return (0, .infinity) }
        if config.keepBelow >= 1 || sure < config.keepBelow { return (config.keepFirst, 0) }
        let leadCounts = config.keepLead < 1 && (config.keepLeadBelow >= 1 || sure < config.keepLeadBelow)
        return (config.keepFirst, leadCounts ? config.keepLead : .infinity)
    }

    /// Per hit of an explained search: its score without memory, memory's part, and each active entry's
    /// cosine to the hit's passage (`vectors`: the hits' chunk vectors by chunk id; `kept`: which of the
    /// query's own best documents the search kept first, and why).
    public static func explanations(_ hits: [SearchHit], weighted: [WeightedEntry], vectors: [Int64: [Float]], kept: Kept,
                                    config: MemoryConfig) -> [MemoryExplanation]
    {
        let active = weighted.filter { $0.takesPart(floor: config.floor) }
        return hits.map { hit in
            let chunk = vectors[hit.chunkID] ?? []
            let base = hit.base ?? BaseScore(rank: nil, score: 0, semantic: 0, lexical: 0)
            var e = MemoryExplanation(
                base: base, memoryScore: hit.score - base.score, rank: hit.rank,
                contributions: active.map {
                    // The hit is the opened document itself: what moved it is the lift, so its weight is shown.
                    let refound = $0.refindWeight >= config.floor && $0.entry.path == hit.path
                    var c = MemoryExplanation.Contribution(entryID: $0.entry.id, text: $0.entry.text,
                                                           weight: refound ? $0.refindWeight : $0.weight,
                                                           similarity: cosine($0.entry.vector, chunk))
                    c.refound = refound
                    (c.kind, c.path) = ($0.entry.kind, $0.entry.path)
                    return c
                })
            // Kept, and still in its place (an opened document found again may rise above it).
            e.kept = (base.rank ?? .max) <= kept.count && hit.rank == base.rank
            if e.kept { e.keptLead = kept.lead }
            return e
        }
    }
}

/// Turns the user's recent searches and opened results into an expansion of the query, and runs the
/// ranking pipeline with it.
///
/// Each entry's weight decays with time and with the searches made since; a topic guard (a logistic
/// step on the entry's cosine to the current query, `MemoryModel.gate`) lets through only entries
/// about the same topic. The surviving weights become the pipeline's `QueryExpansion` with strength β.
/// With no entry past the guard, the result is exactly the ranking without memory.
public struct MemoryRanker {
    public let searcher: Searcher
    public var config: MemoryConfig

    public init(searcher: Searcher, config: MemoryConfig) {
        self.searcher = searcher
        self.config = config
    }

    /// The expansion that `entries` give a query whose embedding is `q`, and every entry's weight.
    public func expansion(_ entries: [MemoryStore.Entry], query q: [Float], statistics: QueryStatistics?, now: Double, searches: Int)
        -> (expansion: QueryExpansion, weighted: [WeightedEntry])
    {
        MemoryModel.expansion(entries, query: q, statistics: statistics, now: now, searches: searches, config: config)
    }

    /// What the index shows for the query `q`, for the guard: its best chunks' cosines (through the graph at
    /// scale). A caller that already has them passes them to `search` instead.
    public func statistics(_ q: [Float]) throws -> QueryStatistics {
        QueryStatistics(topCosines: try searcher.topCosines(q, k: QueryStatistics.depth).map(Double.init), chunkCount: try searcher.chunkCount())
    }

    public func search(
        _ query: String, vector: [Float]? = nil, statistics: QueryStatistics? = nil, entries: [MemoryStore.Entry], now: Double,
        searches: Int, options: SearchOptions, explain: Bool = false
    ) throws -> MemoryResult {
        let q = vector ?? searcher.encoder.encode(query)
        // The statistics cost a scan: only when an entry could count at all.
        let live = MemoryModel.anyLive(entries, now: now, searches: searches, config: config)
        let stats = try statistics ?? (live && config.needsStatistics ? self.statistics(q) : nil)
        let (expansion, weighted) = self.expansion(entries, query: q, statistics: stats, now: now, searches: searches)
        let response = try searcher.search(SearchRequest(query, vector: q, options: options, expansion: expansion, explain: explain))
        var explanations: [MemoryExplanation] = []
        if explain {
            var vectors: [Int64: [Float]] = [:]
            for hit in response.hits { vectors[hit.chunkID] = try searcher.chunkVector(hit.chunkID) }
            explanations = MemoryModel.explanations(response.hits, weighted: weighted, vectors: vectors, kept: response.kept,
                                                    config: config)
        }
        return MemoryResult(response: response, explanations: explanations, entries: weighted, floor: config.floor)
    }
}
