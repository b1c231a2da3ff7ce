import EngramEngine
import EngramMemory
import EngramPostgres
import Foundation
import Testing

/// Short-term memory on either store: each scenario keeps memory in a file of its own (as a user's
/// `$ENGRAM_HOME/memory.sqlite`), never in the store.
enum MemoryContract {
    /// A memory file in a folder of its own, with the default settings.
    static func memoryFile() -> MemoryFile {
        MemoryFile(path: Fixtures.temporaryFolder().appendingPathComponent("memory.sqlite").path, config: MemoryConfig())
    }

    /// One search on a freshly opened store (as one `engram search` process), with `file` as the memory.
    static func search(_ store: StoreUnderTest, _ query: String, file: MemoryFile, memory: MemoryUse?,
                       _ configure: (inout SearchOptions) -> Void = { _ in }) async throws -> SearchOutcome {
        var options = SearchOptions()
        configure(&options)
        return try await store.with { s in
            s.memoryFile = file
            return try await s.search(query, options: options, memory: memory)
        }
    }

    static func searches(_ store: StoreUnderTest, file: MemoryFile, profile: String = "default") async throws -> Int {
        try await store.with { s in
            s.memoryFile = file
            return try await s.memorySession(profile: profile).state().searches
        }
    }

    /// What the follow-up searches build on: a search about baking, remembered.
    static let earlier = "what makes bread dough rise"
    /// A follow-up that, alone, ranks the tides first ("rise" is in both): the earlier search says which is meant.
    static let followUp = "what makes it rise"

    /// A follow-up search is re-ranked by an earlier related one, and the explanation says why: the earlier
    /// search is in effect, on topic, and the baking document gained from it.
    static func followUpIsReranked(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, folder, file in
            let bread = folder.appendingPathComponent("bread.md").path
            let plain = try await search(store, followUp, file: file, memory: nil).response.hits
            #expect(plain.first?.path != bread, "the follow-up alone must not already rank the baking note first")
            _ = try await search(store, earlier, file: file, memory: MemoryUse())
            let result = try await search(store, followUp, file: file, memory: MemoryUse(explain: true))
            let memory = try #require(result.memory)
            #expect(result.response.hits.first?.path == bread)
            #expect(memory.active.map(\.entry.text) == [earlier])
            let entry = try #require(memory.entries.first)
            #expect(entry.why(MemoryConfig()).hasPrefix("in effect: on topic"), "\(entry.why(MemoryConfig()))")
            let first = try #require(memory.explanations.first)
            #expect(first.memoryScore > 0 && (first.base.rank ?? Int.max) > 1)
            #expect(first.contributions.map(\.text) == [earlier])
            // The JSON says the same as `engram search --json` on SQLite: per entry why and required_similarity.
            let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(result.output)) as? [String: Any]
            let entries = ((json?["memory"] as? [String: Any])?["entries"] as? [[String: Any]]) ?? []
            #expect(entries.count == 1)
            #expect((entries.first?["why"] as? String)?.hasPrefix("in effect") == true)
            #expect(entries.first?["required_similarity"] is Double)
            #expect(try await searches(store, file: file) == 2)
        }
    }

    /// `--no-memory` ranks as a search without memory does, and neither reads nor records.
    static func noMemoryIsUnchanged(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, folder, file in
            _ = try await search(store, earlier, file: file, memory: MemoryUse())
            let without = try await search(store, followUp, file: file, memory: nil).response.hits
            let off = try await search(store, followUp, file: file, memory: MemoryUse(read: false, record: false))
            #expect(off.memory == nil)
            #expect(off.response.hits.map(\.path) == without.map(\.path))
            #expect(zip(off.response.hits, without).allSatisfy { $0.score == $1.score })
            #expect(try await searches(store, file: file) == 1)
            // --incognito reads memory (the follow-up moves) and records nothing either.
            let incognito = try await search(store, followUp, file: file, memory: MemoryUse(record: false))
            #expect(incognito.response.hits.first?.path == folder.appendingPathComponent("bread.md").path)
            #expect(try await searches(store, file: file) == 1)
        }
    }

    /// Two profiles are separate: one's searches neither re-rank nor show in the other, and clearing one
    /// leaves the other.
    static func profilesAreSeparate(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, folder, file in
            _ = try await search(store, earlier, file: file, memory: MemoryUse(profile: "kitchen"))
            let other = try await search(store, followUp, file: file, memory: MemoryUse(profile: "harbour", explain: true))
            let without = try await search(store, followUp, file: file, memory: nil).response.hits
            #expect(other.memory?.entries.isEmpty == true)
            #expect(other.response.hits.map(\.path) == without.map(\.path))
            let kitchen = try await search(store, followUp, file: file, memory: MemoryUse(profile: "kitchen"))
            #expect(kitchen.response.hits.first?.path == folder.appendingPathComponent("bread.md").path)
            #expect(try await searches(store, file: file, profile: "kitchen") == 2)
            #expect(try await searches(store, file: file, profile: "harbour") == 1)
            let cleared = try await store.with { s in
                    s.memoryFile = file
                return try await s.memorySession(profile: "kitchen").clear()
            }
            #expect(cleared == 2)
            #expect(try await searches(store, file: file, profile: "harbour") == 1)
            #expect(try await searches(store, file: file, profile: "kitchen") == 0)
        }
    }

    /// `open` records the opened passage (it weighs more than a query), and `report` replays the
    /// profile's searches with and without memory, recording nothing.
    static func openAndReport(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, folder, file in
            _ = try await search(store, earlier, file: file, memory: MemoryUse())
            let opened = try await store.with { s in
                    s.memoryFile = file
                return try await s.open("1", profile: "default", at: nil)
            }
            #expect(opened.path == folder.appendingPathComponent("bread.md").path)
            let shown = try await store.with { s in
                    s.memoryFile = file
                return try await s.showMemory(profile: "default", query: followUp, at: nil)
            }
            #expect(shown.entries.map(\.kind) == ["open", "query"])
            // Newest first; each judged against the follow-up: the earlier search is on its topic.
            #expect(shown.entries.allSatisfy { $0.effective_weight != nil })
            #expect(shown.entries.last?.why.hasPrefix("in effect: on topic") == true)
            // Its search being on the follow-up's topic, the opened document is lifted as one found again:
            // by refind × its weight × the best score, against the same search without the lift.
            let again = try await search(store, followUp, file: file, memory: MemoryUse(record: false, explain: true))
            var noLift = file
            noLift.config.refind = 0
            let unlifted = try await search(store, followUp, file: noLift, memory: MemoryUse(record: false))
            let bread = folder.appendingPathComponent("bread.md").path
            let hit = try #require(again.response.hits.firstIndex { $0.path == bread })
            let before = try #require(unlifted.response.hits.first { $0.path == bread })
            let open = try #require(again.memory?.entries.first { $0.entry.kind == "open" })
            let best = try #require(unlifted.response.hits.first?.score)
            #expect(open.refindWeight > 0.5)
            #expect(abs(again.response.hits[hit].score - (before.score + file.config.refind * open.refindWeight * best)) < 1e-6)
            let lifted = try #require(again.memory?.explanations[hit])
            #expect(lifted.contributions.contains { $0.refound }, "the opened document is lifted to be found again")
            #expect(again.memory?.explanations.enumerated().allSatisfy { i, e in i == hit || !e.contributions.contains { $0.refound } } == true)
            _ = try await search(store, followUp, file: file, memory: MemoryUse())
            let report = try await store.with { s in
                    s.memoryFile = file
                return try await s.report(queries: [], profile: "default", n: 5, at: nil)
            }
            #expect(report.queries.map(\.query) == [earlier, followUp])
            let last = try #require(report.queries.last)
            #expect(last.changed && last.entries.map(\.text).contains(earlier))
            #expect(last.results.first?.path == folder.appendingPathComponent("bread.md").path)
            #expect(try await searches(store, file: file) == 2)
        }
    }

    static func withStore(_ kind: StoreKind, _ body: (StoreUnderTest, URL, MemoryFile) async throws -> Void) async throws {
        try await Contract.withStore(kind) { store, folder in
            _ = try await store.index(folder)
            let file = memoryFile()
            try await body(store, folder, file)
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: file.path).deletingLastPathComponent())
        }
    }
}

/// A reader whose connection may not write (a hot standby, or a role without write rights) still
/// searches with memory and records it, in the user's own file; the database is never written.
func postgresReadOnlyReaderRecordsMemory() async throws {
    try await MemoryContract.withStore(.postgres) { store, folder, file in
        let location = try PostgresLocation(url: store.location)
        let admin = try await PostgresStore.connect(store.location)
        try await admin.execute("ALTER DATABASE \(location.database) SET default_transaction_read_only = on")
        await admin.close()
        // Every new session is read-only now, as on a replica: a write fails.
        await #expect(throws: (any Error).self) {
            try await store.with { try await $0.remove(under: folder.appendingPathComponent("notes").path) }
        }
        _ = try await MemoryContract.search(store, MemoryContract.earlier, file: file, memory: MemoryUse())
        let result = try await MemoryContract.search(store, MemoryContract.followUp, file: file, memory: MemoryUse(explain: true))
        #expect(result.response.hits.first?.path == folder.appendingPathComponent("bread.md").path)
        #expect(result.memory?.active.count == 1)
        #expect(try await MemoryContract.searches(store, file: file) == 2)
        let opened = try await store.with { s in
            s.memoryFile = file
            return try await s.open("1", profile: "default", at: nil)
        }
        #expect(opened.rank == 1)
    }
}

/// The same memory, the same searches: both stores rank alike and explain alike.
func memoryParity() async throws {
    let lite = try await StoreUnderTest.make(.sqlite), pg = try await StoreUnderTest.make(.postgres)
    let fixtures = TestServer.root.appendingPathComponent("fixtures/docs")
    _ = try await lite.index(fixtures)
    _ = try await pg.index(fixtures)
    let a = MemoryContract.memoryFile(), b = MemoryContract.memoryFile()
    let start = Date()
    let session = ["how do tides work", "the moon and the sea", "planets of the solar system", "rewrite git history", "tides"]
    var compared = 0
    for (i, query) in session.enumerated() {
        let use = MemoryUse(explain: true, at: start.addingTimeInterval(Double(i) * 60))
        let x = try await MemoryContract.search(lite, query, file: a, memory: use)
        let y = try await MemoryContract.search(pg, query, file: b, memory: use)
        #expect(x.response.hits.map(\.path) == y.response.hits.map(\.path), "\(query)")
        for (h, k) in zip(x.response.hits, y.response.hits) { #expect(abs(h.score - k.score) < 1e-4, "\(query) \(h.path)") }
        let (m, n) = (try #require(x.memory), try #require(y.memory))
        #expect(m.entries.count == n.entries.count)
        for (e, f) in zip(m.entries, n.entries) {
            #expect(abs(e.weight - f.weight) < 1e-3 && abs(e.similarity - f.similarity) < 1e-4, "\(query) \(e.entry.text)")
            #expect(e.why(MemoryConfig()).prefix(12) == f.why(MemoryConfig()).prefix(12), "\(query) \(e.entry.text)")
            compared += 1
        }
    }
    #expect(compared == 10)
    await lite.dispose()
    await pg.dispose()
}
