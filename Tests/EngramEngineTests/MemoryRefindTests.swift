import EngramEngine
import EngramMemory
import EngramStore
import Foundation
import Testing

/// Re-finding: a result the user opened rises when they search its topic again.
@Suite struct MemoryRefindTests {
    /// A unit vector at cosine `c` to [1, 0].
    func at(_ c: Double) -> [Float] { [Float(c), Float((1 - c * c).squareRoot())] }

    func entry(_ id: Int64, kind: String, cosine: Double, sequence: Int, path: String? = nil) -> MemoryStore.Entry {
        MemoryStore.Entry(id: id, profile: "p", kind: kind, text: "e\(id)", vector: at(cosine), at: 0, sequence: sequence, path: path)
    }

    @Test func theLiftIsAShareOfTheBestScoreForOpenedDocumentsOnly() {
        var fused: [Int64: Double] = [1: 0.9, 2: 0.5, 3: 0.2]
        Searcher.refind(&fused, opened: [3: 0.5, 7: 1], strength: 0.4)
        #expect(abs(fused[3]! - (0.2 + 0.4 * 0.5 * 0.9)) < 1e-12)
        #expect(fused[1] == 0.9 && fused[2] == 0.5)
        #expect(fused[7] == nil, "a document the pipeline did not rank (filtered out) is not added")
        var untouched: [Int64: Double] = [1: 0.9, 3: 0.2]
        Searcher.refind(&untouched, opened: [3: 1], strength: 0)
        #expect(untouched[3] == 0.2)
    }

    @Test func anOpenIsJudgedByTheBetterOfItsPassageAndTheSearchItCameFrom() {
        var c = MemoryConfig()
        (c.margin, c.openMargin, c.tau, c.openTau) = (0, 0, 0.7, 0.7)
        (c.refind, c.refindTau, c.openInherit) = (0.5, 0.4, 0)
        let stats = QueryStatistics(topCosines: [0.5])
        // The search (sequence 0) is near the new query; the passage opened from it is not.
        let entries = [entry(1, kind: "query", cosine: 0.6, sequence: 0),
                       entry(2, kind: "open", cosine: 0.1, sequence: 0, path: "/a"),
                       // An open whose search has left memory: its passage alone decides.
                       entry(3, kind: "open", cosine: 0.1, sequence: 5, path: "/b")]
        let w = MemoryModel.weigh(entries, query: [1, 0], statistics: stats, now: 0, searches: 6, config: c)
        #expect(w[0].refindGate == 0, "searches are never lifted")
        #expect(abs(w[1].refindGate - 1 / (1 + exp(-(w[0].score - 0.4) / c.refindWidth))) < 1e-12, "the search's score decides")
        #expect(w[1].refindGate > 0.95 && w[1].gate < 0.01)
        #expect(w[2].refindGate < 0.01)
        #expect(w[1].why(c).hasPrefix("in effect as an open only: the opened document, wherever this search can return it, rises to be found again"), "\(w[1].why(c))")

        let (expansion, _) = MemoryModel.expansion(entries, query: [1, 0], statistics: stats, now: 0, searches: 6, config: c)
        #expect(expansion.opened.map(\.path) == ["/a"])
        #expect(expansion.refind == 0.5)

        // With ι, the passage counts in the expansion too, at ι × what its search vouches for.
        c.openInherit = 0.5
        let vouched = MemoryModel.weigh(entries, query: [1, 0], statistics: stats, now: 0, searches: 6, config: c)
        #expect(vouched[1].inherited && abs(vouched[1].gate - 0.5 * vouched[1].refindGate) < 1e-12)
        #expect(!vouched[2].inherited && vouched[2].gate == w[2].gate, "no search to vouch: its own gate")
        #expect(vouched[1].why(c).hasPrefix("in effect through the search it was opened from: counted at 50 %"),
                "\(vouched[1].why(c))")
        let terms = MemoryModel.expansion(entries, query: [1, 0], statistics: stats, now: 0, searches: 6, config: c).expansion.terms
        #expect(terms.contains { $0.text == "e2" } && !terms.contains { $0.text == "e3" })

        // δ 0: nothing is lifted, while the search still vouches for its passage in the expansion.
        c.refind = 0
        let unlifted = MemoryModel.weigh(entries, query: [1, 0], statistics: stats, now: 0, searches: 6, config: c)
        #expect(unlifted.allSatisfy { $0.refindGate == 0 })
        #expect(unlifted[1].inherited && abs(unlifted[1].gate - vouched[1].gate) < 1e-12)
        c.openInherit = 0
        let off = MemoryModel.weigh(entries, query: [1, 0], statistics: stats, now: 0, searches: 6, config: c)
        #expect(off.allSatisfy { $0.refindGate == 0 && !$0.inherited })
        #expect(MemoryModel.expansion(entries, query: [1, 0], statistics: stats, now: 0, searches: 6, config: c).expansion.opened.isEmpty)
    }

    func index() throws -> String {
        let index = EngineSupport.temporaryFolder().appendingPathComponent("refind.sqlite").path
        let (s, _, e) = try EngineSupport.run(["index", EngineSupport.fixtures.path, "--index", index, "--quiet"])
        #expect(s == 0, "\(e)")
        return index
    }

    func search(_ q: String, _ index: String, _ extra: [String]) throws -> [String: Any] {
        let (s, out, err) = try EngineSupport.run(["search", q, "--index", index, "--json", "-n", "9"] + extra)
        #expect(s == 0, "\(err)")
        return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    }

    func names(_ r: [String: Any]) -> [String] {
        ((r["results"] as? [[String: Any]]) ?? []).compactMap { ($0["path"] as? String).map { ($0 as NSString).lastPathComponent } }
    }

    @Test func anOpenedResultIsFoundAgainAndTheExplanationSaysSo() throws {
        let index = try index()
        let first = try search("gravity of the moon", index, ["--profile", "r", "--at", "2026-01-05T10:00:00Z"])
        let rank = try #require(names(first).firstIndex(of: "solar-system.html")) + 1
        #expect(rank > 1, "the page to open is not already first: \(names(first))")
        let (s, _, err) = try EngineSupport.run(["open", "\(rank)", "--index", index, "--profile", "r", "--at", "2026-01-05T10:00:30Z"])
        #expect(s == 0, "\(err)")

        let plain = names(try search("the moon", index, ["--no-memory"]))
        #expect(plain.first != "solar-system.html", "\(plain)")
        let at = ["--profile", "r", "--incognito", "--at", "2026-01-05T10:01:00Z"]
        // With the default guard: the search the page was opened from is on the topic of "the moon".
        let lifted = try search("the moon", index, at + ["--explain"])
        #expect(names(lifted).first == "solar-system.html", "\(names(lifted))")
        let memory = try #require(lifted["memory"] as? [String: Any])
        let open = try #require((memory["entries"] as? [[String: Any]])?.first { $0["kind"] as? String == "open" })
        let openID = try #require((open["id"] as? NSNumber)?.int64Value)
        #expect((open["refind_weight"] as? Double ?? 0) > 0.9)
        let results = try #require(memory["results"] as? [[String: Any]])
        let refound = results.map { r in (r["contributions"] as? [[String: Any]] ?? []).filter { $0["refound"] as? Bool == true } }
        #expect(refound[0].count == 1)
        #expect((refound[0].first?["entry"] as? NSNumber)?.int64Value == openID)
        #expect(refound.dropFirst().allSatisfy { $0.isEmpty }, "only the opened page is claimed as found again")
        // The lift the result line shows is the one the entry's reason gives.
        let lift = try #require(refound[0].first?["weight"] as? Double)
        #expect(abs(lift - (open["refind_weight"] as? Double ?? -1)) < 1e-9)
        #expect((open["why"] as? String)?.contains(String(format: "lift %.2f", lift)) == true, "\(open["why"] ?? "")")

        // Without re-finding (no lift, no vouching for the passage) the same memory leaves the page where
        // the expansion puts it, and a filter that excludes the page keeps it out.
        let unlifted = names(try search("the moon", index, at + ["--refind", "0", "--open-inherit", "0"]))
        #expect(unlifted.firstIndex(of: "solar-system.html")! > 0, "\(unlifted)")
        let filtered = names(try search("the moon", index, at + ["--refind", "2", "--refind-tau=-2", "--path", "*.md"]))
        #expect(!filtered.contains("solar-system.html") && !filtered.isEmpty)
    }
}
