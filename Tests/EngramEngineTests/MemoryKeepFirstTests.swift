import EngramEngine
import EngramMemory
import Foundation
import Testing

/// Memory reorders what follows the query's own best match; it never pushes that match out.
@Suite struct MemoryKeepFirstTests {
    @Test func theQuerysBestDocumentStaysFirstAndNothingElseMoves() {
        // Memory ranks 7 first; without it, 3 was the best.
        var fused: [Int64: Double] = [7: 0.9, 5: 0.6, 3: 0.4, 1: 0.1]
        let base: [Int64: Double] = [3: 0.8, 1: 0.5, 5: 0.2, 7: 0.1]
        Searcher.keepFirst(&fused, base: base, count: 1)
        #expect(fused[3]! > 0.9 && fused[3]! == (0.9).nextUp)
        #expect(fused[7] == 0.9 && fused[5] == 0.6 && fused[1] == 0.1, "only the kept document's score changes")

        // Two kept, in the base's order, above everything else, even when memory ranks them the other way round.
        var two: [Int64: Double] = [7: 0.9, 1: 0.7, 3: 0.4]
        Searcher.keepFirst(&two, base: base, count: 2)
        let order = two.sorted { $0.value > $1.value }.map(\.key)
        #expect(order == [3, 1, 7], "\(two)")

        // Already first: nothing to do.
        var first: [Int64: Double] = [3: 0.9, 7: 0.5]
        Searcher.keepFirst(&first, base: base, count: 1)
        #expect(first == [3: 0.9, 7: 0.5])

        // A base document the expanded ranking does not hold (filtered out) is not added; the next is kept.
        var filtered: [Int64: Double] = [7: 0.9, 1: 0.3]
        Searcher.keepFirst(&filtered, base: base, count: 1)
        #expect(filtered[3] == nil && filtered[1]! > 0.9)

        // Ties in the base go to the lower id, as the ranking breaks them.
        var tied: [Int64: Double] = [9: 0.9, 4: 0.1, 2: 0.1]
        Searcher.keepFirst(&tied, base: [4: 0.5, 2: 0.5, 9: 0.1], count: 1)
        #expect(tied[2]! > 0.9 && tied[4] == 0.1)
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

        let kept = try support.search("planets", index, at + ["--keep-first", "1", "--explain"])
        let names = support.names(kept)
        #expect(names.first == plain.first, "\(names) vs \(plain)")
        #expect(Array(names.dropFirst()) == Array(loose.filter { $0 != plain.first }.prefix(names.count - 1)),
                "what follows is memory's order: \(names) vs \(loose)")
        let results = try #require((kept["memory"] as? [String: Any])?["results"] as? [[String: Any]])
        #expect(results.map { $0["kept"] as? Bool } == [true] + Array(repeating: false, count: results.count - 1))
    }
}
