import EngramPostgres
import Foundation
import Testing

/// Migrations and what a reader says about a database that is not (yet) an index of this version
/// (a scenario of the PostgreSQL contract run).
func postgresSchema() async throws {
    let url = try await TestServer.freshDatabase()
    let store = try await PostgresStore.connect(url)
    do {
        #expect(try await store.version() == 0)
        await #expect(throws: PostgresStoreError.noIndex(store.location.display)) { try await store.requireIndex() }
        // Writers starting together each migrate: every version is applied once.
        let other = try await PostgresStore.connect(url)
        async let a: Void = store.migrate(dimension: 384)
        async let b: Void = other.migrate(dimension: 384)
        _ = try await (a, b)
        await other.close()
        #expect(try await store.version() == PostgresStore.schemaVersion)
        try await store.requireIndex()
        try await store.migrate(dimension: 384)
        #expect(try await store.version() == PostgresStore.schemaVersion)
        // A database migrated by a newer engram is refused, not misread.
        try await store.execute("INSERT INTO engram_migrations (version) VALUES (\(PostgresStore.schemaVersion + 1))")
        await #expect(throws: PostgresStoreError.newerSchema(store.location.display, PostgresStore.schemaVersion + 1)) {
            try await store.requireIndex()
        }
        // The model is bound once; another model's vectors are refused.
        try await store.bindModel(identity: "model-a@384d", dimension: 384)
        try await store.bindModel(identity: "model-a@384d", dimension: 384)
        await #expect(throws: PostgresStoreError.modelMismatch(store.location.display, "model-a@384d", "model-b@384d")) {
            try await store.bindModel(identity: "model-b@384d", dimension: 384)
        }
    } catch {
        await store.close()
        await TestServer.dropDatabase(url)
        throw error
    }
    await store.close()
    await TestServer.dropDatabase(url)
}

@Test func postgresURLs() throws {
    let l = try PostgresLocation(url: "postgresql://alice:s%40cret@db.example:6543/team")
    #expect(l.host == "db.example" && l.port == 6543 && l.user == "alice" && l.password == "s@cret" && l.database == "team")
    #expect(l.display == "postgresql://alice@db.example:6543/team")
    let d = try PostgresLocation(url: "postgres://localhost")
    #expect(d.port == 5432 && d.user == "postgres" && d.database == "postgres" && d.password == nil)
    #expect(throws: PostgresStoreError.badURL("mysql://x/y")) { try PostgresLocation(url: "mysql://x/y") }
    #expect(!PostgresLocation.isURL("/tmp/index.sqlite"))
}
