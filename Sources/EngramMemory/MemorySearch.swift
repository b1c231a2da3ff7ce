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
    }
    /// Fused score without memory, and its semantic and lexical parts (they add up to it).
    public let baseScore: Double
    public let baseSemantic: Double
    public let baseLexical: Double
    /// Score with memory minus score without.
    public let memoryScore: Double
    /// Rank without memory (nil when the document was not ranked at all without it).
    public let baseRank: Int?
    public let rank: Int
    public let contributions: [Contribution]
}

/// A search re-ranked with memory, with everything needed to explain it.
public struct MemoryResult: Sendable {
    public var response: SearchResponse
    /// Per hit, in hit order.
    public var explanations: [MemoryExplanation]
    /// Every entry with its current weight (active or not).
    public var entries: [WeightedEntry]
    /// Entries that took part (weight ≥ floor).
    public var active: [WeightedEntry] { entries.filter { $0.weight >= floor } }
    let floor: Double
}

/// Re-ranks a search with the user's recent searches and opened results.
///
/// Each entry's weight decays with time and with the searches made since; a topic guard (a logistic
/// step on the entry's similarity to the current query, to the centroid of the query's own top
/// results, or to the query less its best chunk's cosine; see `MemoryModel.gate`) lets through only
/// entries about the same topic. The surviving weights a_i act on both
/// sides of the hybrid ranker:
///
///     semantic: q' = normalize(q + β Σ a_i e_i)
///     lexical:  bm25(query) + β Σ a_i bm25(entry text)
///
/// then the usual min-max fusion. With no entry past the guard, the result is exactly the base ranking.
public final class MemorySearch {
    public let searcher: Searcher
    public var config: MemoryConfig

    public init(searcher: Searcher, config: MemoryConfig) {
        self.searcher = searcher
        self.config = config
    }

    public func search(
        _ query: String, vector: [Float]? = nil, entries: [IndexStore.MemoryRow], now: Double, searches: Int,
        options: SearchOptions
    ) throws -> MemoryResult {
        let started = DispatchTime.now()
        var timings: [String: Double] = [:]
        func timed<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let start = DispatchTime.now()
            defer { timings[name, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6 }
            return try body()
        }
        let q = timed("embed") { vector ?? searcher.encoder.encode(query) }
        let semantic0 = try timed("semantic") { options.mode == .lexical ? [:] : try searcher.semanticScores(q) }
        let lexical0 = try timed("lexical") { options.mode == .semantic ? [:] : try searcher.lexicalScores(query, options: options) }
        let baseParts = timed("fuse") { parts(semantic0, lexical0, options) }
        let base = timed("fuse") { baseParts.mapValues { $0.semantic + $0.lexical } }

        let weighted = try timed("guard") { try weigh(entries, query: q, base: base, semantic: semantic0, now: now, searches: searches) }
        let active = weighted.filter { $0.weight >= config.floor }
        var semantic = semantic0, lexical = lexical0, fused = base
        if !active.isEmpty {
            if options.mode != .lexical {
                var expanded = q.map(Double.init)
                for a in active {
                    for j in expanded.indices { expanded[j] += config.beta * a.weight * Double(a.entry.vector[j]) }
                }
                let norm = expanded.reduce(0) { $0 + $1 * $1 }.squareRoot()
                semantic = try timed("memory_semantic") { try searcher.semanticScores(expanded.map { Float($0 / max(norm, 1e-12)) }) }
            }
            if options.mode != .semantic {
                try timed("memory_lexical") {
                    let targetMax = lexical0.values.map(\.score).max() ?? 0
                    for a in active {
                        let scores = try searcher.lexicalScores(a.entry.text, options: options)
                        let entryMax = scores.values.map(\.score).max() ?? 0
                        let scale = config.scaleLexical ? (entryMax > 0 && targetMax > 0 ? targetMax / entryMax : 0) : 1
                        for (d, s) in scores {
                            let add = config.beta * a.weight * s.score * scale
                            if let current = lexical[d] {
                                lexical[d] = (current.score + add, current.chunkID)
                            } else {
                                lexical[d] = (add, s.chunkID)
                            }
                        }
                    }
                }
            }
            fused = timed("fuse") { combine(semantic, lexical, options) }
        }
        let hits = try timed("rank") { try searcher.hits(scores: fused, semantic: semantic, lexical: lexical, options: options) }
        let explainStart = DispatchTime.now()
        let baseRanks = Self.ranks(of: hits.map(\.documentID), in: base)
        var explanations: [MemoryExplanation] = []
        for hit in hits {
            let chunk = try searcher.chunkVector(hit.chunkID) ?? []
            let contributions = active.map {
                MemoryExplanation.Contribution(entryID: $0.entry.id, text: $0.entry.text, weight: $0.weight,
                                               similarity: MemoryModel.cosine($0.entry.vector, chunk))
            }
            let p = baseParts[hit.documentID] ?? (0, 0)
            explanations.append(MemoryExplanation(
                baseScore: base[hit.documentID] ?? 0, baseSemantic: p.semantic, baseLexical: p.lexical, memoryScore: hit.score - (base[hit.documentID] ?? 0),
                baseRank: baseRanks[hit.documentID], rank: hit.rank, contributions: contributions))
        }
        let end = DispatchTime.now().uptimeNanoseconds
        timings["explain"] = Double(end - explainStart.uptimeNanoseconds) / 1e6
        timings["search_with_memory"] = Double(end - started.uptimeNanoseconds) / 1e6
        return MemoryResult(response: SearchResponse(query: query, mode: options.mode, hits: hits, timings: timings),
                            explanations: explanations, entries: weighted, floor: config.floor)
    }

    /// Decay × guard for every entry.
    func weigh(
        _ entries: [IndexStore.MemoryRow], query q: [Float], base: [Int64: Double], semantic: Searcher.DocumentScores,
        now: Double, searches: Int
    ) throws -> [WeightedEntry] {
        guard !entries.isEmpty else { return [] }
        var centroid: [Float]?
        if config.guardMode != .query {
            // The topic as the collection sees it: the mean of the best chunks of the query's own top 10.
            let top = base.sorted { $0.value > $1.value }.prefix(10)
            var sum = [Float](repeating: 0, count: q.count)
            var n = 0
            for (d, _) in top {
                guard let chunk = semantic[d]?.chunkID, let v = try searcher.chunkVector(chunk) else { continue }
                for j in sum.indices { sum[j] += v[j] }
                n += 1
            }
            if n > 0 { centroid = sum }
        }
        // Only the margin guard needs the query's best chunk (a pass over every document). Lexical mode
        // has no semantic scores: the margin is then taken against a perfect match.
        let best = config.guardMode == .margin ? (semantic.values.lazy.map(\.score).max() ?? 1) : 1
        return entries.map { e in
            let toQuery = MemoryModel.cosine(q, e.vector)
            let toResults = centroid.map { MemoryModel.cosine($0, e.vector) } ?? toQuery
            let similarity: Double
            switch config.guardMode {
            case .query: similarity = toQuery
            case .results: similarity = toResults
            case .either: similarity = max(toQuery, toResults)
            case .margin: similarity = toQuery - config.marginWeight * best
            }
            return WeightedEntry(
                entry: e, decay: MemoryModel.decay(entry: e, now: now, searches: searches, config: config),
                similarity: similarity, gate: MemoryModel.gate(similarity: similarity, config: config),
                ageSeconds: now - e.at, searchesSince: max(0, searches - e.sequence - 1))
        }
    }

    func combine(_ semantic: Searcher.DocumentScores, _ lexical: Searcher.DocumentScores, _ options: SearchOptions) -> [Int64: Double] {
        parts(semantic, lexical, options).mapValues { $0.semantic + $0.lexical }
    }

    func parts(_ semantic: Searcher.DocumentScores, _ lexical: Searcher.DocumentScores, _ options: SearchOptions)
        -> [Int64: (semantic: Double, lexical: Double)]
    {
        Searcher.scoreParts(semantic: semantic, lexical: lexical, options: options)
    }

    /// The rank each of `documents` has in `scores` (ties broken by id, as `Searcher.hits` does), found by
    /// counting what ranks above it: a few documents need no sort of the whole collection.
    static func ranks(of documents: [Int64], in scores: [Int64: Double]) -> [Int64: Int] {
        var out: [Int64: Int] = [:]
        for d in documents {
            guard let s = scores[d] else { continue }
            var above = 0
            for (other, t) in scores where t > s || (t == s && other < d) { above += 1 }
            out[d] = above + 1
        }
        return out
    }
}
