import EngramEngine
import EngramPostgres
import EngramText
import Foundation
import Testing

/// The scenarios every store must pass, written once; each suite below runs them against one store.
enum Contract {
    static func withStore(_ kind: StoreKind, _ body: (StoreUnderTest, URL) async throws -> Void) async throws {
        let store = try await StoreUnderTest.make(kind)
        let folder = try Fixtures.corpusFolder()
        do {
            try await body(store, folder)
        } catch {
            await store.dispose()
            throw error
        }
        await store.dispose()
        try? FileManager.default.removeItem(at: folder.deletingLastPathComponent())
    }

    /// Indexing a folder adds every file; searching finds each topic's file first in every mode.
    static func indexAndSearch(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, folder in
            let s = try await store.index(folder)
            #expect(s.added == Fixtures.corpus.count)
            #expect(s.updated == 0 && s.removed == 0 && s.errors == 0)
            #expect(s.chunksEmbedded >= Fixtures.corpus.count)
            for mode in SearchMode.allCases {
                let tides = try await store.search("why does the sea rise and fall with the moon") { $0.mode = mode }
                #expect(tides.first == folder.appendingPathComponent("tides.md").path, "\(mode)")
                let bread = try await store.search("knead dough yeast") { $0.mode = mode }
                #expect(bread.first == folder.appendingPathComponent("bread.md").path, "\(mode)")
            }
            let status = try await store.status()
            #expect(status.documents == Fixtures.corpus.count)
            #expect(status.chunks >= Fixtures.corpus.count)
            #expect(status.roots == [folder.path])
            #expect(status.model != nil && status.dimension == 384)
        }
    }

    /// A second run over an unchanged folder changes nothing and embeds nothing.
    static func reindexIsIncremental(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, folder in
            let first = try await store.index(folder)
            let chunks = try await store.status().chunks
            let again = try await store.index(folder)
            #expect(again.unchanged == Fixtures.corpus.count)
            #expect(again.added == 0 && again.updated == 0 && again.moved == 0 && again.removed == 0)
            #expect(again.chunksEmbedded == 0)
            #expect(try await store.status().chunks == chunks)
            #expect(first.added == Fixtures.corpus.count)
        }
    }

    /// An edited file is updated: its new words are found, its old ones no longer.
    static func editReembedsOnlyTheChange(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, folder in
            _ = try await store.index(folder)
            let garden = folder.appendingPathComponent("notes/garden.org")
            try Fixtures.write("* Garden\n\nThe greenhouse heater broke during the cold snap; the orchids froze.\n", to: garden)
            let s = try await store.index(folder)
            #expect(s.updated == 1)
            #expect(s.unchanged == Fixtures.corpus.count - 1)
            #expect(s.added == 0)
            let orchids = try await store.search("greenhouse orchids") { $0.mode = .lexical }
            #expect(orchids == [garden.path])
            let tomatoes = try await store.search("tomatoes frost") { $0.mode = .lexical }
            #expect(!tomatoes.contains(garden.path))
            #expect(try await store.status().documents == Fixtures.corpus.count)
        }
    }

    /// A renamed file keeps its vectors (nothing is embedded) and is found under its new name only.
    static func renameIsAMove(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, folder in
            _ = try await store.index(folder)
            let old = folder.appendingPathComponent("bread.md"), new = folder.appendingPathComponent("recipes/sourdough.md")
            try FileManager.default.createDirectory(at: new.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: old, to: new)
            let s = try await store.index(folder)
            #expect(s.moved == 1)
            #expect(s.chunksEmbedded == 0)
            #expect(s.added == 0 && s.removed == 0)
            let hits = try await store.search("knead dough yeast")
            #expect(hits.first == new.path)
            #expect(!hits.contains(old.path))
            #expect(try await store.status().documents == Fixtures.corpus.count)
        }
    }

    /// A deleted file leaves the index; `remove` drops a folder's documents and forgets the folder.
    static func deleteAndRemove(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, folder in
            _ = try await store.index(folder)
            let sort = folder.appendingPathComponent("code/sort.py")
            try FileManager.default.removeItem(at: sort)
            let s = try await store.index(folder)
            #expect(s.removed == 1)
            #expect(!(try await store.search("quicksort pivot partition")).contains(sort.path))
            let removed = try await store.with { try await $0.remove(under: folder.appendingPathComponent("notes").path) }
            #expect(removed == 2)
            let status = try await store.status()
            #expect(status.documents == Fixtures.corpus.count - 3)
            #expect(status.roots == [folder.path])
            let all = try await store.with { try await $0.remove(under: folder.path) }
            #expect(all == Fixtures.corpus.count - 3)
            let empty = try await store.status()
            #expect(empty.documents == 0 && empty.chunks == 0 && empty.roots.isEmpty)
        }
    }

    /// Filters restrict what is ranked, in every mode, before fusion.
    static func filters(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, folder in
            _ = try await store.index(folder)
            let notes = folder.appendingPathComponent("notes").path
            for mode in SearchMode.allCases {
                let inNotes = try await store.search("travel budget roses") { $0.mode = mode; $0.folder = notes }
                #expect(!inNotes.isEmpty)
                #expect(inNotes.allSatisfy { $0.hasPrefix(notes + "/") }, "\(mode)")
                let markdown = try await store.search("moon dough") { $0.mode = mode; $0.types = ["md"] }
                #expect(Set(markdown).isSubset(of: [folder.appendingPathComponent("tides.md").path, folder.appendingPathComponent("bread.md").path]))
                #expect(!markdown.isEmpty, "\(mode)")
                let glob = try await store.search("sort a list") { $0.mode = mode; $0.pathGlob = "*.py" }
                #expect(glob == [folder.appendingPathComponent("code/sort.py").path], "\(mode)")
                let future = try await store.search("tides") { $0.mode = mode; $0.since = Date().addingTimeInterval(86_400) }
                #expect(future.isEmpty, "\(mode)")
            }
        }
    }

    /// Two writers started together (as on two machines) take turns: every file is indexed once, the
    /// second run finds nothing to do, and a search during the runs answers.
    static func concurrentWriters(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, folder in
            for i in 0..<12 {
                try Fixtures.write("Note \(i) about harbour pilots and tugboats number \(i).\n", to: folder.appendingPathComponent("harbour/note\(i).txt"))
            }
            let files = Fixtures.corpus.count + 12
            let a = try await store.open(), b = try await store.open()
            let path = folder.path
            async let first = Task.detached { try await a.index(folder: path, walker: Walker(), warn: { _ in }) }.value
            async let second = Task.detached { try await b.index(folder: path, walker: Walker(), warn: { _ in }) }.value
            let (s1, s2) = try await (first, second)
            await a.close()
            await b.close()
            #expect(s1.added + s2.added == files)
            #expect(s1.added == files || s2.added == files)
            #expect(s1.unchanged + s2.unchanged == files)
            let status = try await store.status()
            #expect(status.documents == files)
            let single = try await StoreUnderTest.make(kind)
            _ = try await single.index(folder)
            #expect(try await single.status().chunks == status.chunks)
            await single.dispose()
            let harbour = try await store.search("harbour pilots tugboats") { $0.mode = .lexical; $0.limit = 20 }
            #expect(harbour.count == 12)
        }
    }
}

extension Contract {
    /// While a writer holds the store, searches answer from the last committed state and a second writer
    /// that will not wait fails at once.
    static func searchesDuringWrites(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, folder in
            _ = try await store.index(folder)
            let bread = folder.appendingPathComponent("bread.md").path
            try Fixtures.write("Sourdough starter needs flour and water every day.\n", to: folder.appendingPathComponent("starter.md"))
            try await store.with { writer in
                try await writer.holdingWriter {
                    #expect(try await store.search("knead dough yeast").first == bread)
                    #expect(try await store.status().documents == Fixtures.corpus.count)
                    let other = try await store.open()
                    other.waitForWriter = false
                    await #expect(throws: (any Error).self) {
                        try await other.index(folder: folder.path, walker: Walker(), warn: { _ in })
                    }
                    await other.close()
                }
            }
            let s = try await store.index(folder)
            #expect(s.added == 1 && s.unchanged == Fixtures.corpus.count)
        }
    }
}

/// Both stores, fed the same folder, rank alike: the same documents in the same order with the same scores,
/// in every mode and fusion (the PostgreSQL side computes the same per-document scores; the engine fuses both).
enum Parity {
    static func sameRankings() async throws {
        let lite = try await StoreUnderTest.make(.sqlite), pg = try await StoreUnderTest.make(.postgres)
        let fixtures = TestServer.root.appendingPathComponent("fixtures/docs")
        let a = try await lite.index(fixtures), b = try await pg.index(fixtures)
        #expect(a.added == b.added && a.chunksEmbedded == b.chunksEmbedded && a.skipped == b.skipped)
        let queries = ["how do tides work", "rewrite git history", "recipe", "planets of the solar system", "binary search tree"]
        var compared = 0
        for query in queries {
            for mode in SearchMode.allCases {
                for fusion in Fusion.allCases where mode == .hybrid || fusion == .minmax {
                    var o = SearchOptions()
                    (o.mode, o.fusion, o.limit) = (mode, fusion, 20)
                    let x = try await lite.with { try await $0.search(query, options: o) }.hits
                    let y = try await pg.with { try await $0.search(query, options: o) }.hits
                    #expect(x.map(\.path) == y.map(\.path), "\(query) \(mode) \(fusion)")
                    for (h, k) in zip(x, y) {
                        #expect(abs(h.score - k.score) < 1e-4, "\(query) \(mode) \(h.path)")
                        #expect(h.line == k.line && h.chunkText == k.chunkText)
                    }
                    compared += x.count
                }
            }
        }
        #expect(compared > 100)
        await lite.dispose()
        await pg.dispose()
    }
}

/// The scenarios by name, so that each store's run is one parameterized test (one line when it is skipped).
enum Scenario: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case indexAndSearch, reindexIsIncremental, editReembedsOnlyTheChange, renameIsAMove, deleteAndRemove, filters, concurrentWriters
    case searchesDuringWrites
    /// Short-term memory, in the user's own file.
    case memoryReranksAFollowUp, noMemoryIsUnchanged, memoryProfilesAreSeparate, openAndReport
    /// Needs both stores: run with the PostgreSQL ones.
    case ranksAsTheSQLiteStoreDoes, remembersAsTheSQLiteStoreDoes
    /// A reader that may not write the database records memory all the same.
    case readOnlyReaderRemembers
    /// The PostgreSQL schema's own migrations.
    case schemaMigrations
    /// engram-pg's command line.
    case commandLine
    /// `engram-pg import` into an empty database.
    case bulkImport

    var testDescription: String { rawValue }

    static let sqlite = allCases.filter {
        ![.ranksAsTheSQLiteStoreDoes, .remembersAsTheSQLiteStoreDoes, .readOnlyReaderRemembers, .schemaMigrations, .commandLine,
          .bulkImport].contains($0)
    }

    func run(_ kind: StoreKind) async throws {
        switch self {
        case .indexAndSearch: try await Contract.indexAndSearch(kind)
        case .reindexIsIncremental: try await Contract.reindexIsIncremental(kind)
        case .editReembedsOnlyTheChange: try await Contract.editReembedsOnlyTheChange(kind)
        case .renameIsAMove: try await Contract.renameIsAMove(kind)
        case .deleteAndRemove: try await Contract.deleteAndRemove(kind)
        case .filters: try await Contract.filters(kind)
        case .concurrentWriters: try await Contract.concurrentWriters(kind)
        case .searchesDuringWrites: try await Contract.searchesDuringWrites(kind)
        case .memoryReranksAFollowUp: try await MemoryContract.followUpIsReranked(kind)
        case .noMemoryIsUnchanged: try await MemoryContract.noMemoryIsUnchanged(kind)
        case .memoryProfilesAreSeparate: try await MemoryContract.profilesAreSeparate(kind)
        case .openAndReport: try await MemoryContract.openAndReport(kind)
        case .ranksAsTheSQLiteStoreDoes: try await Parity.sameRankings()
        case .remembersAsTheSQLiteStoreDoes: try await memoryParity()
        case .readOnlyReaderRemembers: try await postgresReadOnlyReaderRecordsMemory()
        case .schemaMigrations: try await postgresSchema()
        case .commandLine: try await EngramPGCommand.scenario()
        case .bulkImport: try await BulkImport.copiesAndRanksAlike()
        }
    }
}

@Test("Contract on the SQLite store", .serialized, arguments: Scenario.sqlite)
func sqliteContract(_ scenario: Scenario) async throws {
    try await scenario.run(.sqlite)
}

@Test("Contract on the PostgreSQL store", .serialized, .enabled(if: TestServer.available, TestServer.skipReason), arguments: Scenario.allCases)
func postgresContract(_ scenario: Scenario) async throws {
    try await scenario.run(.postgres)
}
