import EngramEngine
import EngramPostgres
import Foundation
import Testing

/// `engram-pg import` into an empty database (COPY, then the indexes): the copy ranks as the SQLite index does,
/// gets the schema's indexes and keys back, and takes later writes like any store (a scenario of the
/// PostgreSQL contract run).
enum BulkImport {
    static func copiesAndRanksAlike() async throws {
        let lite = try await StoreUnderTest.make(.sqlite), pg = try await StoreUnderTest.make(.postgres)
        do {
            try await check(lite, pg)
        } catch {
            await lite.dispose()
            await pg.dispose()
            throw error
        }
        await lite.dispose()
        await pg.dispose()
    }

    static func check(_ lite: StoreUnderTest, _ pg: StoreUnderTest) async throws {
        let fixtures = TestServer.root.appendingPathComponent("fixtures/docs")
        _ = try await lite.index(fixtures)
        let store = try await PostgresStore.connect(pg.location)
        let summary = try await store.bulkImport(lite.location)
        let expected = try await lite.status()
        #expect(summary.documents == expected.documents && summary.chunks == expected.chunks && summary.postings > 0)
        #expect(try await pg.status().chunks == expected.chunks)
        // A store that holds documents is not bulk-loaded again.
        await #expect(throws: PostgresStoreError.self) { try await store.bulkImport(lite.location) }
        // The indexes and keys the migration creates are all back.
        try await store.execute("""
            DO $$ BEGIN
              IF (SELECT count(*) FROM pg_indexes WHERE indexname IN
                  ('chunks_embedding', 'chunks_tsv', 'chunks_document', 'postings_chunk', 'postings_pkey')) <> 5
                 OR (SELECT count(*) FROM pg_constraint WHERE conname IN ('chunks_document_id_fkey', 'postings_chunk_id_fkey')) <> 2
              THEN RAISE EXCEPTION 'an index or key is missing after the bulk import'; END IF;
            END $$
            """)

        for query in ["how do tides work", "rewrite git history", "planets of the solar system"] {
            for mode in SearchMode.allCases {
                var o = SearchOptions()
                (o.mode, o.limit) = (mode, 20)
                let x = try await lite.with { try await $0.search(query, options: o) }.hits
                let y = try await pg.with { try await $0.search(query, options: o) }.hits
                #expect(!x.isEmpty)
                #expect(x.map(\.path) == y.map(\.path), "\(query) \(mode)")
                for (h, k) in zip(x, y) { #expect(abs(h.score - k.score) < 1e-4, "\(query) \(mode) \(h.path)") }
            }
        }

        // Later writes: new rows take ids past the copied ones, and removing cascades to chunks and postings.
        let extra = Fixtures.temporaryFolder().appendingPathComponent("more")
        try Fixtures.write("# Volcanoes\n\nMagma rises through the crust and erupts as lava from a volcano.\n", to: extra.appendingPathComponent("volcano.md"))
        let folder = URL(fileURLWithPath: extra.resolvingSymlinksInPath().path)
        #expect(try await pg.index(folder).added == 1)
        #expect(try await pg.search("lava erupting from a volcano").first?.hasSuffix("volcano.md") == true)
        #expect(try await pg.with { try await $0.remove(under: fixtures.path) } == expected.documents)
        try await store.execute("""
            DO $$ BEGIN
              IF EXISTS (SELECT 1 FROM postings p LEFT JOIN chunks c ON c.id = p.chunk_id WHERE c.id IS NULL)
                 OR (SELECT count(*) FROM documents) <> 1
              THEN RAISE EXCEPTION 'removing left rows behind'; END IF;
            END $$
            """)
        await store.close()
    }
}
