import EngramEngine
import EngramMemory
import EngramStore
import Foundation
import Testing

/// The topic guard calibrated to what the index shows for the query, and what it says about each entry.
@Suite struct MemoryGuardTests {
    func entry(_ id: Int64, kind: String = "query", vector: [Float] = [1, 0], at: Double = 0, sequence: Int = 0) -> MemoryStore.Entry {
        MemoryStore.Entry(id: id, profile: "p", kind: kind, text: "e\(id)", vector: vector, at: at, sequence: sequence)
    }

    /// A unit vector at cosine `c` to [1, 0].
    func at(_ c: Double) -> [Float] { [Float(c), Float((1 - c * c).squareRoot())] }

    @Test func statisticsKeepTheBestChunksBestFirstAndRankAnEntryAmongThem() {
        // 1,000 chunks at known cosines to the query [1, 0], in scrambled order.
        var cosines = (0..<1000).map { Double($0) / 1000 }
        var rng = SystemRandomNumberGenerator()
        cosines.shuffle(using: &rng)
        let matrix = cosines.flatMap { at($0) }
        let index = VectorIndex(dimension: 2, chunkIDs: (0..<1000).map(Int64.init), documentIDs: (0..<1000).map(Int64.init), matrix: matrix)
        let s = QueryStatistics(topCosines: Searcher.largest(index.scores([1, 0]), QueryStatistics.depth).map(Double.init))
        #expect(s.topCosines.count == QueryStatistics.depth)
        #expect(abs(s.best - 0.999) < 1e-6)
        #expect(abs(s.cosine(atRank: 10) - 0.990) < 1e-6)
        #expect(abs(s.cosine(atRank: 200) - 0.800) < 1e-6)
        #expect(s.cosine(atRank: 5000) == s.cosine(atRank: 200), "past the shortlist: the last one known")
        #expect(s.rank(of: 1.5) == 1)
        #expect(s.rank(of: 0.9945) == 6, "five chunks are closer: 0.999 … 0.995")
        #expect(s.rank(of: 0.1) == 201, "past the shortlist")
        #expect(QueryStatistics(topCosines: Searcher.largest([], QueryStatistics.depth).map(Double.init)).best == 0)
    }

    @Test func theSameCosineCountsWhereTheIndexIsFarAndNotWhereItIsClose() {
        var c = MemoryConfig()
        c.margin = 0.75
        c.tau = 0.05
        let e = entry(1, vector: at(0.5))
        // An index whose best chunk is at 0.4: an entry at 0.5 is closer to the query than anything there.
        let far = MemoryModel.weigh([e], query: [1, 0], statistics: QueryStatistics(topCosines: [0.4, 0.3]), now: 0, searches: 1, config: c)[0]
        // An index whose best chunk is at 0.96 (a narrow field, where everything is alike): 0.5 is off topic.
        let close = MemoryModel.weigh([e], query: [1, 0], statistics: QueryStatistics(topCosines: [0.96, 0.8]), now: 0, searches: 1, config: c)[0]
        #expect(abs(far.score - (0.5 - 0.75 * 0.4)) < 1e-6)
        #expect(far.gate > 0.9 && far.weight > 0.9)
        #expect(close.gate < 0.01)
        #expect(far.why(c).hasPrefix("in effect: on topic (cosine 0.50 to this query, 0.15 past the 0.35 at which it counts half"), "\(far.why(c))")
        #expect(close.why(c).hasPrefix("off topic: cosine 0.50 to this query, 0.27 short of the 0.77 at which it would count half"), "\(close.why(c))")
        // What the guard asks is spelled out from the index, and adds up as printed (0.75 × 0.96 + 0.05 = 0.77).
        #expect(close.why(c).contains("the guard asks for 0.75 × the index's best passage for this query (0.96) plus 0.05"), "\(close.why(c))")
        #expect(far.why(c).contains("the guard asks for 0.75 × the index's best passage for this query (0.40) plus 0.05"), "\(far.why(c))")

        // An opened passage is judged on its own threshold and margin.
        c.openMargin = 1
        c.openTau = -0.05
        let open = entry(2, kind: "open", vector: at(0.86))
        let w = MemoryModel.weigh([open], query: [1, 0], statistics: QueryStatistics(topCosines: [0.9]), now: 0, searches: 1, config: c)[0]
        #expect(abs(w.score - (0.86 - 0.9)) < 1e-6 && w.threshold == -0.05 && w.gate > 0.5)

        // Without a margin the guard is the absolute cosine step, whatever the index shows.
        var absolute = MemoryConfig()
        (absolute.margin, absolute.openMargin, absolute.tau) = (0, 0, 0.45)
        #expect(!absolute.needsStatistics)
        let a = MemoryModel.weigh([e], query: [1, 0], statistics: QueryStatistics(topCosines: [0.9]), now: 0, searches: 1, config: absolute)[0]
        #expect(abs(a.gate - MemoryModel.gate(similarity: 0.5, config: absolute)) < 1e-6)
    }

    @Test func theReferenceCanBeALowerRankedChunk() {
        var c = MemoryConfig()
        c.margin = 1
        (c.referenceRank, c.referenceShare) = (3, 0)
        c.tau = 0
        let stats = QueryStatistics(topCosines: [0.9, 0.7, 0.6, 0.5])
        let w = MemoryModel.weigh([entry(1, vector: at(0.65))], query: [1, 0], statistics: stats, now: 0, searches: 1, config: c)[0]
        #expect(abs(w.score - 0.05) < 1e-6 && w.reference == 0.6)
        #expect(w.why(c).contains("the guard asks for the index's 3rd best passage for this query (0.60) plus 0.00"), "\(w.why(c))")
    }

    @Test func aShareOfTheIndexPicksTheReferenceByTheIndexSize() {
        var c = MemoryConfig()
        c.referenceShare = 0.002
        let cosines = (0..<QueryStatistics.depth).map { 0.9 - Double($0) * 0.001 }
        // 0.002 of 1,985 chunks is 3.97: the 4th best; of 500, one chunk; of a million, past the shortlist's depth.
        #expect(QueryStatistics(topCosines: cosines, chunkCount: 1_985).referenceRank(c) == 4)
        #expect(QueryStatistics(topCosines: cosines, chunkCount: 500).referenceRank(c) == 1)
        #expect(QueryStatistics(topCosines: cosines, chunkCount: 1_000_000).referenceRank(c) == QueryStatistics.depth)
        // Without a count the shortlist is the whole index.
        #expect(QueryStatistics(topCosines: cosines).chunkCount == QueryStatistics.depth)
        // An opened passage has a reference of its own: without a share, the rank.
        #expect(QueryStatistics(topCosines: cosines, chunkCount: 1_985).referenceRank(c, open: true) == 1)
        c.openReferenceShare = 0.001
        #expect(QueryStatistics(topCosines: cosines, chunkCount: 1_985).referenceRank(c, open: true) == 2)
        c.referenceShare = 0
        c.referenceRank = 5
        #expect(QueryStatistics(topCosines: cosines, chunkCount: 1_000_000).referenceRank(c) == 5)
    }

    @Test func theRankerReadsTheIndexSizeWithItsShortlist() throws {
        // More chunks than the shortlist holds, so the count cannot be read off the shortlist itself.
        let folder = EngineSupport.temporaryFolder().appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let topics = ["tides and the moon", "sourdough starter", "garden tomatoes", "bicycle gears", "tax returns"]
        for i in 0..<(QueryStatistics.depth + 40) {
            try EngineSupport.write("Note \(i) on \(topics[i % topics.count]).\n", to: folder.appendingPathComponent("note-\(i).txt"))
        }
        let index = folder.deletingLastPathComponent().appendingPathComponent("notes.sqlite").path
        let (s, _, e) = try EngineSupport.run(["index", folder.path, "--index", index, "--quiet"])
        #expect(s == 0, "\(e)")
        let store = try IndexStore(path: index, access: .read)
        let searcher = try Searcher(store: store, encoder: try EngineSupport.encoder.get())
        let stats = try MemoryRanker(searcher: searcher, config: MemoryConfig()).statistics(searcher.encoder.encode("the moon"))
        let chunks = try store.chunkCount
        #expect(chunks > QueryStatistics.depth && stats.topCosines.count == QueryStatistics.depth)
        #expect(stats.chunkCount == chunks)
        // A share of 0.01 reads the chunk at 1 % of the index (about the 2nd of 240).
        var c = MemoryConfig()
        c.referenceShare = 0.01
        let k = Int((0.01 * Double(chunks)).rounded())
        #expect(k > 1 && stats.referenceRank(c) == k && stats.reference(c) == stats.topCosines[k - 1])
    }

    @Test func theSameEntryPassesInASmallIndexAsInALargeOneWithTheSameShare() {
        var c = MemoryConfig()
        (c.margin, c.tau, c.referenceShare) = (1, 0.1, 0.01)
        // Both indexes show the query the same distribution: the larger just has more of the best chunks.
        let small = QueryStatistics(topCosines: [0.8, 0.6, 0.5, 0.45], chunkCount: 100)
        let large = QueryStatistics(topCosines: [0.8, 0.75, 0.7, 0.65, 0.62, 0.6, 0.58, 0.55, 0.52, 0.5], chunkCount: 1_000)
        let e = entry(1, vector: at(0.62))
        let s = MemoryModel.weigh([e], query: [1, 0], statistics: small, now: 0, searches: 1, config: c)[0]
        let l = MemoryModel.weigh([e], query: [1, 0], statistics: large, now: 0, searches: 1, config: c)[0]
        // The 1 in 100 best cosine is 0.8 in the first and 0.5 (the 10th of 1,000) in the second.
        #expect(s.reference == 0.8 && l.reference == 0.5)
        #expect(l.referenceRank == 10 && l.why(c).contains("the index's 10th best passage for this query (0.50)"), "\(l.why(c))")
        #expect(s.gate < 0.5 && l.gate > 0.5)
    }

    @Test func anOpenedResultFadesAtTheSameAgeAsAQuery() {
        var c = MemoryConfig()
        c.halfLife = 86_400
        let week = 7 * 86_400.0
        // 2^-7 = 0.0078: under the floor, so both are forgotten, though 1.5 × 0.0078 would not be.
        #expect(MemoryModel.decay(entry: entry(1, kind: "open"), now: week, searches: 1, config: c) == 0)
        #expect(MemoryModel.decay(entry: entry(2), now: week, searches: 1, config: c) == 0)
        // Six days: 2^-6 = 0.0156 remains of both, and the open keeps its larger base.
        #expect(abs(MemoryModel.decay(entry: entry(3, kind: "open"), now: 6 * 86_400, searches: 1, config: c) - 1.5 / 64) < 1e-12)
    }

    @Test func aFadedEntrySaysWhetherAgeOrLaterSearchesTookItOut() {
        let c = MemoryConfig()
        let old = MemoryModel.weigh([entry(1)], query: [1, 0], now: 10 * 86_400, searches: 1, config: c)[0]
        // 2^-10 = 0.098 % of it is left.
        #expect(old.why(c).hasPrefix("faded: 10 d old and 0 searches since leave 0.098 % of it, under the 1 % that counts"), "\(old.why(c))")
        #expect(old.why(c).hasSuffix("(too old)"))
        let busy = MemoryModel.weigh([entry(2)], query: [1, 0], now: 60, searches: 15, config: c)[0]
        #expect(busy.why(c).hasSuffix("(too many searches since)"), "\(busy.why(c))")
        #expect(MemoryModel.fadeCause(ageSeconds: 10 * 86_400, searchesSince: 20, config: c) == "too old, and too many searches since")
        #expect(MemoryModel.fadeCause(ageSeconds: 4 * 86_400, searchesSince: 6, config: c) == "mostly too old")
    }

    @Test func aPartlyOpenGuardSaysHowMuchOfTheWeightCounts() {
        var c = MemoryConfig()
        (c.tau, c.gateWidth) = (0.6, 0.05)
        let w = MemoryModel.weigh([entry(1, vector: at(0.55))], query: [1, 0], now: 0, searches: 1, config: c)[0]
        #expect(w.gate < 0.5 && w.weight >= c.floor)
        // A fresh entry (nothing to decay) at σ(−1) = 0.27 of the guard: its w is that share.
        #expect(w.why(c).hasPrefix("in effect: near the topic (cosine 0.55 to this query, 0.05 short of the 0.60 at which it would count half), "
                                   + "counted at 27 % of the 1.00 age and later searches leave it, w 0.27, "), "\(w.why(c))")
    }

    /// An entry the guard lets through whose weight is still under the floor is not "off topic".
    @Test func anOnTopicEntryTooLightToCountSaysItFaded() {
        var c = MemoryConfig()
        (c.tau, c.gateWidth, c.floor) = (0.549, 0.05, 0.6)
        let w = MemoryModel.weigh([entry(1, vector: at(0.55))], query: [1, 0], now: 0, searches: 1, config: c)[0]
        #expect(w.gate >= 0.5 && w.weight < c.floor)
        #expect(w.why(c).hasPrefix("faded for this search: on topic (cosine 0.55 to this query"), "\(w.why(c))")
        #expect(w.why(c).contains(String(format: "but w %.3f, under the 0.6 that counts", w.weight)), "\(w.why(c))")
    }

    /// The distances are those between the figures shown: a cosine just under zero reads 0.00, not
    /// "-0.00", and is as far from the threshold as the two rounded figures say.
    @Test func theWordsAddUpAfterRounding() {
        var c = MemoryConfig()
        (c.margin, c.tau) = (1, 0.6249)
        let w = MemoryModel.weigh([entry(1, vector: at(-0.004))], query: [1, 0], statistics: QueryStatistics(topCosines: [0, 0]),
                                  now: 0, searches: 1, config: c)[0]
        #expect(w.why(c).hasPrefix("off topic: cosine 0.00 to this query, 0.62 short of the 0.62 at which it would count half"), "\(w.why(c))")
    }
}
