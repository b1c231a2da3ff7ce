import EngramEngine
import EngramMemory
import EngramStore
import Foundation
import Testing

/// Memory reorders what follows the query's own best match; it never pushes that match out.
@Suite struct MemoryKeepFirstTests {
    @Test func theQuerysBestDocumentStaysFirstAndNothingElseMoves() {
        // Memory ranks 7 first; without it, 3 was the best.
        var fused: [Int64: Double] = [7: 0.9, 5: 0.6, 3: 0.4, 1: 0.1]
        Searcher.keepFirst(&fused, kept: [3])
        #expect(fused[3]! > 0.9 && fused[3]! == (0.9).nextUp)
        #expect(fused[7] == 0.9 && fused[5] == 0.6 && fused[1] == 0.1, "only the kept document's score changes")

        // Two kept, in the base's order, above everything else, even when memory ranks them the other way round.
        var two: [Int64: Double] = [7: 0.9, 1: 0.7, 3: 0.4]
        Searcher.keepFirst(&two, kept: [3, 1])
        #expect(two.sorted { $0.value > $1.value }.map(\.key) == [3, 1, 7], "\(two)")

        // Already first: nothing to do. A kept document the ranking does not hold is not added.
        var first: [Int64: Double] = [3: 0.9, 7: 0.5]
        Searcher.keepFirst(&first, kept: [3])
        #expect(first == [3: 0.9, 7: 0.5])
        var missing: [Int64: Double] = [7: 0.9, 1: 0.3]
        Searcher.keepFirst(&missing, kept: [3])
        #expect(missing == [7: 0.9, 1: 0.3])
    }

    @Test func theBestDocumentIsTheFusedRankingsFirst() {
        // `best` finds in one pass (hybrid, min-max) what sorting the fused scores finds, ties to the lower id included.
        var random = SystemRandomNumberGenerator()
        for trial in 0..<300 {
            var semantic: Searcher.DocumentScores = [:], lexical: Searcher.DocumentScores = [:]
            for d in Int64(0)..<Int64(1 + trial % 40) {
                // Coarse scores, so that ties happen.
                semantic[d] = (Double(Int.random(in: -3...8, using: &random)) / 8, d)
                if Bool.random(using: &random) { lexical[d] = (Double(Int.random(in: 0...5, using: &random)), d) }
            }
            let options = SearchOptions()
            let fused = Searcher.fuse(semantic: semantic, lexical: lexical, options: options)
            for count in 1...2 {
                let sorted = Searcher.top(fused, count), best = Searcher.best(count, semantic: semantic, lexical: lexical, options: options)
                #expect(best.map(\.key) == sorted.map(\.key) && best.map(\.value) == sorted.map(\.value), "\(count): \(semantic) \(lexical)")
            }
        }
    }

    @Test func aMatchThatStandsOutIsKeptHoweverSureMemoryIs() {
        // Semantic mode: the fused score is the cosine. Without memory 3 leads 5 by (0.8 − 0.6) / 0.8 = 25 %.
        var options = SearchOptions()
        options.mode = .semantic
        let semantic0: Searcher.DocumentScores = [3: (0.8, 3), 5: (0.6, 5), 7: (0.5, 7)]
        func ranked(lead: Double) -> (order: [Int64], kept: Kept) {
            var fused: [Int64: Double] = [7: 0.9, 5: 0.7, 3: 0.4]  // with memory
            let e = QueryExpansion(terms: [.init(text: "t", vector: [1], weight: 1)], strength: 1, keep: 1, keepLead: lead)
            let kept = Searcher.keepFirst(&fused, expansion: e, semantic: semantic0, lexical: [:], options: options)
            return (fused.sorted { $0.value > $1.value }.map(\.key), kept)
        }
        #expect(ranked(lead: 0).order == [3, 7, 5] && ranked(lead: 0).kept == Kept(count: 1), "lead 0: kept whatever the lead")
        #expect(ranked(lead: 0.24).order == [3, 7, 5], "25 % ≥ 24 %")
        let byLead = ranked(lead: 0.24).kept
        #expect(byLead.count == 1 && abs((byLead.lead ?? 0) - 0.25) < 1e-12, "kept for its lead, which it reports: \(byLead)")
        #expect(ranked(lead: 0.26).order == [7, 5, 3] && ranked(lead: 0.26).kept == Kept(), "25 % < 26 %: memory's order")
        #expect(ranked(lead: .infinity).kept == Kept(), "never")
    }

    @Test func aSearchWithMemoryKeepsTheSearchWithoutItsFirstResult() throws {
        let support = MemoryRefindTests()
        let index = try support.index()
        let profile = ["--profile", "k", "--at", "2026-01-05T10:00:00Z"]
        _ = try support.search("gravity of the moon and the tides", index, profile)
        let plain = support.names(try support.search("planets", index, ["--no-memory"]))
        // A guard open to everything, so the earlier search reorders this one.
        let at = ["--profile", "k", "--incognito", "--at", "2026-01-05T10:01:00Z", "--tau=-2"]
        let loose = support.names(try support.search("planets", index, at + ["--keep-first", "0"]))
        #expect(loose.first != plain.first, "memory moves the first result when nothing keeps it: \(loose) vs \(plain)")

        let kept = try support.search("planets", index, at + ["--keep-first", "1", "--keep-below", "1", "--explain"])
        let names = support.names(kept)
        #expect(names.first == plain.first, "\(names) vs \(plain)")
        #expect(Array(names.dropFirst()) == Array(loose.filter { $0 != plain.first }.prefix(names.count - 1)),
                "what follows is memory's order: \(names) vs \(loose)")
        let results = try #require((kept["memory"] as? [String: Any])?["results"] as? [[String: Any]])
        #expect(results.map { $0["kept"] as? Bool } == [true] + Array(repeating: false, count: results.count - 1))
        #expect(results.allSatisfy { $0["kept_lead"] == nil }, "kept whatever the lead: no lead decided it")

        // An entry the guard passes in full is trusted with the first place too: nothing is kept...
        let trusted = try support.search("planets", index, at + ["--keep-first", "1", "--keep-below", "0.5", "--keep-lead", "1", "--explain"])
        #expect(support.names(trusted) == loose)
        let none = try #require((trusted["memory"] as? [String: Any])?["results"] as? [[String: Any]])
        #expect(none.allSatisfy { $0["kept"] as? Bool == false })

        // ... unless the query's own best match leads its runner-up by the share asked or more.
        let scores = try #require((try support.search("planets", index, ["--no-memory"])["results"] as? [[String: Any]])?
            .compactMap { $0["score"] as? Double })
        let lead = (scores[0] - scores[1]) / scores[0]
        #expect(lead > 0.01, "the test needs a lead: \(scores)")
        for (share, keeps) in [(lead * 0.99, true), (min(lead * 1.01, 1), false)] {
            let r = try support.search("planets", index, at + ["--keep-below", "0.5", "--keep-lead", "\(share)", "--keep-lead-below", "1",
                                                               "--explain"])
            #expect((support.names(r).first == plain.first) == keeps, "lead \(lead), asked \(share): \(support.names(r))")
            let marks = try #require((r["memory"] as? [String: Any])?["results"] as? [[String: Any]])
            #expect((marks.first?["kept"] as? Bool) == keeps)
            if keeps { #expect(abs((marks.first?["kept_lead"] as? Double ?? 0) - lead) < 1e-9, "the lead that kept it: \(marks[0])") }
        }
    }

    @Test func aSureEntryChangesTheFirstResultHoweverWellTheQueryAloneFindsAnother() throws {
        let support = MemoryRefindTests()
        let index = try support.index()
        let plain = try support.search("what makes it rise", index, ["--no-memory"])
        let scores = try #require((plain["results"] as? [[String: Any]])?.compactMap { $0["score"] as? Double })
        #expect(support.names(plain).first == "tides.md" && (scores[0] - scores[1]) / scores[0] > 0.1,
                "alone, the query finds the tides first, and by a clear lead: \(support.names(plain)) \(scores)")
        _ = try support.search("what makes bread dough rise", index, ["--profile", "bread", "--at", "2026-01-05T10:00:00Z"])
        let after = try support.search("what makes it rise", index, ["--profile", "bread", "--at", "2026-01-05T10:01:00Z", "--explain"])
        #expect(support.names(after).first == "sourdough.md", "\(support.names(after))")
        let entries = try #require((after["memory"] as? [String: Any])?["entries"] as? [[String: Any]])
        #expect(entries.count == 1 && (entries[0]["gate"] as? Double ?? 0) >= MemoryConfig().keepLeadBelow,
                "the entry is sure of the topic: \(entries)")
    }

    @Test func theMatchIsKeptWhileMemoryIsUnsureOrWhenItStandsOut() {
        var c = MemoryConfig()
        // An absolute guard, so each entry's gate is σ((cosine − 0.5)/0.05): 0.27 at 0.45, 0.73 at 0.55.
        (c.margin, c.openMargin, c.tau, c.gateWidth, c.keepFirst, c.keepBelow) = (0, 0, 0.5, 0.05, 1, 0.5)
        func weighted(_ cosines: [Double], now: Double = 0) -> [WeightedEntry] {
            let entries = cosines.enumerated().map { i, x in
                MemoryStore.Entry(id: Int64(i), profile: "p", kind: "query", text: "e\(i)", vector: [Float(x), Float((1 - x * x).squareRoot())],
                                  at: 0, sequence: i)
            }
            return MemoryModel.weigh(entries, query: [1, 0], now: now, searches: cosines.count, config: c)
        }
        (c.keepLead, c.keepLeadBelow) = (0.15, 0.9)  // 0.9: a cosine of 0.61
        func keeps(_ cosines: [Double]) -> (count: Int, lead: Double) { MemoryModel.keeps(weighted(cosines), config: c) }
        #expect(keeps([0.45, 0.44]) == (1, 0), "every entry in effect is unsure: kept whatever the lead")
        #expect(keeps([0.45, 0.55]) == (1, 0.15), "one entry is past the level: kept only if the match stands out")
        #expect(keeps([0.55, 0.65]) == (1, .infinity), "one entry is sure: the first place is memory's")
        #expect(keeps([0.2]).count == 0, "nothing in effect: nothing expands, nothing to keep")
        c.keepLeadBelow = 1
        #expect(keeps([0.55, 0.65]) == (1, 0.15), "at 1 the lead counts however sure memory is")
        c.keepLead = 1
        #expect(keeps([0.45, 0.55]) == (1, .infinity), "at 1 the lead never keeps it")
        c.keepBelow = 1
        #expect(keeps([0.9]) == (1, 0), "at 1 the match is always kept")
        c.keepFirst = 0
        #expect(keeps([0.45]).count == 0)
    }
}
