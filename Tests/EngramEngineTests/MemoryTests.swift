import EngramEngine
import EngramEval
import EngramMemory
import EngramStore
import Foundation
import Testing

/// Short-term memory: decay arithmetic, eviction, persistence across processes, the guard, explanations.
@Suite(.serialized) struct MemoryTests {
    func entry(_ id: Int64, at: Double, sequence: Int, kind: String = "query") -> MemoryStore.Entry {
        MemoryStore.Entry(id: id, profile: "p", kind: kind, text: "q\(id)", vector: [1, 0], at: at, sequence: sequence)
    }

    @Test func aHalfLifeHalvesAndLaterSearchesLower() {
        var c = MemoryConfig()
        c.halfLife = 3600
        c.searchDecay = 0.8
        let e = entry(1, at: 0, sequence: 0)
        // Right after it, as the next search: full weight.
        #expect(abs(MemoryModel.decay(entry: e, now: 0, searches: 1, config: c) - 1) < 1e-12)
        #expect(abs(MemoryModel.decay(entry: e, now: 3600, searches: 1, config: c) - 0.5) < 1e-12)
        #expect(abs(MemoryModel.decay(entry: e, now: 7200, searches: 1, config: c) - 0.25) < 1e-12)
        // One search in between lowers it by the search decay.
        #expect(abs(MemoryModel.decay(entry: e, now: 0, searches: 2, config: c) - 0.8) < 1e-12)
        #expect(abs(MemoryModel.decay(entry: e, now: 3600, searches: 3, config: c) - 0.5 * 0.64) < 1e-12)
        // An opened result weighs more than a query.
        #expect(MemoryModel.decay(entry: entry(2, at: 0, sequence: 0, kind: "open"), now: 0, searches: 1, config: c) == c.openWeight)
    }

    @Test func theGuardIsALogisticStepAtTau() {
        var c = MemoryConfig()
        c.tau = 0.7
        #expect(abs(MemoryModel.gate(similarity: 0.7, config: c) - 0.5) < 1e-12)
        #expect(MemoryModel.gate(similarity: 0.2, config: c) < 1e-4)
        #expect(MemoryModel.gate(similarity: 0.95, config: c) > 0.99)
        #expect(MemoryModel.gate(similarity: 0.6, config: c) < MemoryModel.gate(similarity: 0.65, config: c))
    }

    @Test func capacityEvictsTheLightestThenTheOldest() {
        var c = MemoryConfig()
        c.capacity = 3
        c.halfLife = 100
        let entries = [entry(1, at: 0, sequence: 0), entry(2, at: 50, sequence: 1), entry(3, at: 90, sequence: 2),
                       entry(4, at: 95, sequence: 3), entry(5, at: 99, sequence: 4)]
        #expect(MemoryModel.evictions(entries, now: 100, searches: 5, config: c) == [1, 2])
        #expect(MemoryModel.evictions(Array(entries.prefix(3)), now: 100, searches: 3, config: c).isEmpty)
    }

    @Test func settingsComeFromTheConfigFileThenTheEnvironment() throws {
        let home = EngineSupport.temporaryFolder()
        let file = home.appendingPathComponent("config.json")
        try Data(#"{"memory": {"half_life": "2h", "search_decay": 0.5, "capacity": 8}}"#.utf8).write(to: file)
        let c = try MemoryConfig.load(environment: ["ENGRAM_MEMORY_HALF_LIFE": "30m"], home: home)
        #expect(c.halfLife == 1800)
        #expect(c.searchDecay == 0.5)
        #expect(c.capacity == 8)
        #expect(try MemoryConfig.load(environment: [:], home: home).halfLife == 7200)

        for bad in [#"{"memory": {"guard": "margin"}}"#, #"{"memory": {"search_decay": "nan"}}"#, #"{"memory": {"half_life": "-1d"}}"#] {
            try Data(bad.utf8).write(to: file)
            #expect {
                try MemoryConfig.load(environment: [:], home: home)
            } throws: { error in
                "\(error)".contains(file.path)
            }
        }
    }

    func demoIndex() throws -> String {
        let index = EngineSupport.temporaryFolder().appendingPathComponent("memory.sqlite").path
        let (s, _, e) = try EngineSupport.run(["index", EngineSupport.fixtures.path, "--index", index, "--quiet"])
        #expect(s == 0, "\(e)")
        return index
    }

    func search(_ q: String, _ index: String, _ extra: [String] = []) throws -> [String: Any] {
        let (s, out, err) = try EngineSupport.run(["search", q, "--index", index, "--json", "-n", "9"] + extra)
        #expect(s == 0, "\(err)")
        return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    }

    func paths(_ response: [String: Any]) -> [String] {
        ((response["results"] as? [[String: Any]]) ?? []).compactMap { $0["path"] as? String }
    }

    @Test func memoryPersistsAcrossProcessesAndNoMemoryLeavesNoTrace() throws {
        let index = try demoIndex()
        _ = try search("sourdough starter with wild yeast", index, ["--at", "2026-01-05T10:00:00Z", "--profile", "a"])
        let second = try search("bread", index, ["--at", "2026-01-05T10:01:00Z", "--profile", "a"])
        let entries = try #require((second["memory"] as? [String: Any])?["entries"] as? [[String: Any]])
        #expect(entries.count == 1)
        #expect(entries.first?["text"] as? String == "sourdough starter with wild yeast")
        #expect(abs((entries.first?["decay"] as? Double ?? 0) - pow(2, -60.0 / 86_400)) < 1e-9)

        _ = try search("tides", index, ["--no-memory", "--profile", "b"])
        _ = try search("tides", index, ["--incognito", "--profile", "b"])
        let (s, out, _) = try EngineSupport.run(["memory", "show", "--index", index, "--profile", "b", "--json"])
        #expect(s == 0)
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect((shown["entries"] as? [Any])?.isEmpty == true)
        #expect(shown["searches"] as? Int == 0)
    }

    @Test func unrelatedHistoryChangesNoRankEvenWhenItSharesAWord() throws {
        let index = try demoIndex()
        let history = ["git rebase versus merge for shared branches",       // unrelated
                       "memory consolidation during deep sleep",             // unrelated
                       "moon landing missions of the Apollo program"]        // shares "moon" with the query
        for (i, h) in history.enumerated() {
            _ = try search(h, index, ["--at", "2026-01-05T10:0\(i):00Z", "--profile", "guard"])
        }
        let query = "moon and the sea level"
        let with = try search(query, index, ["--at", "2026-01-05T10:05:00Z", "--profile", "guard", "--incognito"])
        let without = try search(query, index, ["--no-memory"])
        #expect(paths(with) == paths(without))
        let active = ((with["memory"] as? [String: Any])?["entries"] as? [[String: Any]])?.filter { $0["active"] as? Bool == true }
        #expect(active?.isEmpty == true)
    }

    @Test func explainRanksWithoutMemoryEqualANoMemorySearch() throws {
        let index = try demoIndex()
        _ = try search("how the moon's gravity raises two tidal bulges", index, ["--at", "2026-01-05T10:00:00Z", "--profile", "x"])
        let with = try search("tides", index, ["--at", "2026-01-05T10:01:00Z", "--profile", "x", "--explain"])
        let without = paths(try search("tides", index, ["--no-memory", "-n", "9"]))
        let results = try #require((with["memory"] as? [String: Any])?["results"] as? [[String: Any]])
        let withPaths = paths(with)
        #expect(results.count == withPaths.count)
        for (i, r) in results.enumerated() {
            let baseRank = try #require(r["base_rank"] as? Int)
            #expect(without[baseRank - 1] == withPaths[i], "result \(i + 1) claims base rank \(baseRank)")
            #expect(r["rank"] as? Int == i + 1)
        }
    }

    @Test func eachEntrySaysInWordsWhyItIsOrIsNotInEffect() throws {
        let index = try demoIndex()
        _ = try search("how the moon's gravity raises two tidal bulges", index, ["--at", "2026-01-05T10:00:00Z", "--profile", "w"])
        _ = try search("git rebase versus merge", index, ["--at", "2026-01-05T10:01:00Z", "--profile", "w"])
        func whys(_ at: String) throws -> [String: String] {
            let r = try search("gravity of the moon", index, ["--at", at, "--profile", "w", "--incognito"])
            let entries = try #require((r["memory"] as? [String: Any])?["entries"] as? [[String: Any]])
            return Dictionary(uniqueKeysWithValues: entries.compactMap { e in (e["text"] as? String).map { ($0, e["why"] as? String ?? "") } })
        }
        let now = try whys("2026-01-05T10:02:00Z")
        #expect(now["how the moon's gravity raises two tidal bulges"]?.hasPrefix("in effect: on topic (cosine 0.") == true, "\(now)")
        #expect(now["git rebase versus merge"]?.hasPrefix("off topic: cosine 0.") == true, "\(now)")
        let later = try whys("2026-01-15T10:02:00Z")
        #expect(later.values.allSatisfy { $0.hasPrefix("faded: 10 d old") }, "\(later)")
    }

    @Test func openRecordsTheResultAndPrintsItsPath() throws {
        let index = try demoIndex()
        let first = try search("exponential backoff", index, ["--profile", "o"])
        let (s, out, _) = try EngineSupport.run(["open", "1", "--index", index, "--profile", "o", "--path-only"])
        #expect(s == 0)
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == paths(first).first)
        let (s2, _, err) = try EngineSupport.run(["open", "99", "--index", index, "--profile", "o"])
        #expect(s2 != 0 && err.contains("no rank 99"))
        let (_, shown, _) = try EngineSupport.run(["memory", "show", "--index", index, "--profile", "o", "--json"])
        #expect(shown.contains("\"open\""))
    }
}
