import EngramStore
import Foundation
import Logging
import NIOCore
import PostgresNIO

/// An Engram index in a PostgreSQL database (with pgvector): documents, chunks with their `vector(N)`
/// embeddings under an HNSW (cosine) index, and BM25 postings. One connection per store; a writer holds the
/// database's writer advisory lock for its whole run, so several indexers (on several machines) into one
/// database take turns and never duplicate a document, while searches read the last committed state.
public final class PostgresStore: Sendable {
    public let location: PostgresLocation
    let connection: PostgresConnection
    let logger: Logger

    /// Advisory lock keys: (engram, what).
    static let lockClass: Int32 = 0x456E_6772  // "Engr"
    static let migrationLock: Int32 = 1
    static let writerLock: Int32 = 2

    private init(location: PostgresLocation, connection: PostgresConnection, logger: Logger) {
        (self.location, self.connection, self.logger) = (location, connection, logger)
    }

    /// Connects to the database a `postgresql://` URL names.
    public static func connect(_ url: String) async throws -> PostgresStore {
        let location = try PostgresLocation(url: url)
        var logger = Logger(label: "engram.postgres")
        logger.logLevel = .critical
        do {
            let connection = try await PostgresConnection.connect(
                configuration: location.configuration, id: Int.random(in: 1...Int(Int32.max)), logger: logger)
            return PostgresStore(location: location, connection: connection, logger: logger)
        } catch {
            throw PostgresStoreError.cannotConnect(location.display, PostgresStoreError.describe(error))
        }
    }

    public func close() async {
        try? await connection.close()
    }

    // MARK: Queries

    @discardableResult
    func query(_ q: PostgresQuery) async throws -> PostgresRowSequence {
        do {
            return try await connection.query(q, logger: logger)
        } catch {
            throw PostgresStoreError.query(PostgresStoreError.describe(error))
        }
    }

    /// Runs a statement, reading and discarding its rows.
    func run(_ q: PostgresQuery) async throws {
        do {
            for try await _ in try await connection.query(q, logger: logger) {}
        } catch let e as PostgresStoreError {
            throw e
        } catch {
            throw PostgresStoreError.query(PostgresStoreError.describe(error))
        }
    }

    /// Runs one SQL statement that takes no parameters (administration: CREATE DATABASE and the like).
    public func execute(_ sql: String) async throws {
        try await run(PostgresQuery(unsafeSQL: sql))
    }

    func rows<T>(_ q: PostgresQuery, _ decode: (PostgresRow) throws -> T) async throws -> [T] {
        var out: [T] = []
        do {
            for try await row in try await connection.query(q, logger: logger) { out.append(try decode(row)) }
        } catch let e as PostgresStoreError {
            throw e
        } catch {
            throw PostgresStoreError.query(PostgresStoreError.describe(error))
        }
        return out
    }

    /// Commits all of `body` or nothing.
    public func transaction<T>(_ body: () async throws -> T) async throws -> T {
        try await run("BEGIN")
        do {
            let value = try await body()
            try await run("COMMIT")
            return value
        } catch {
            try? await run("ROLLBACK")
            throw error
        }
    }

    // MARK: Schema

    /// The schema versions, each a list of statements applied in one transaction. Version 1 is the index itself.
    static func migrations(dimension: Int) -> [(version: Int, statements: [String])] {
        [
            (1, [
                "CREATE EXTENSION IF NOT EXISTS vector",
                "CREATE TABLE engram_meta (key text PRIMARY KEY, value text NOT NULL)",
                "CREATE TABLE engram_roots (path text PRIMARY KEY)",
                """
                CREATE TABLE documents (
                    id bigserial PRIMARY KEY, path text NOT NULL UNIQUE, size bigint NOT NULL, mtime double precision NOT NULL,
                    hash text NOT NULL, type text NOT NULL, title text NOT NULL, indexed_at double precision NOT NULL)
                """,
                "CREATE INDEX documents_hash ON documents (hash)",
                """
                CREATE TABLE chunks (
                    id bigserial PRIMARY KEY, document_id bigint NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
                    ordinal integer NOT NULL, text text NOT NULL, line_start integer NOT NULL, line_end integer NOT NULL,
                    token_count integer NOT NULL, text_hash text NOT NULL, lex_length integer NOT NULL,
                    embedding vector(\(dimension)) NOT NULL,
                    tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED)
                """,
                "CREATE INDEX chunks_document ON chunks (document_id)",
                // pgvector's defaults (m 16, ef_construction 64).
                "CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_cosine_ops)",
                "CREATE INDEX chunks_tsv ON chunks USING gin (tsv)",
                """
                CREATE TABLE postings (
                    term text NOT NULL, chunk_id bigint NOT NULL REFERENCES chunks (id) ON DELETE CASCADE, tf integer NOT NULL,
                    PRIMARY KEY (term, chunk_id))
                """,
                "CREATE INDEX postings_chunk ON postings (chunk_id)",
            ]),
            // The index's own id, which each user's memory file is keyed by: the same on every replica of the
            // database (physical replication copies it) and for every user, and new for a new database.
            (2, ["INSERT INTO engram_meta (key, value) VALUES ('id', gen_random_uuid()::text) ON CONFLICT (key) DO NOTHING"]),
        ]
    }

    public static var schemaVersion: Int { migrations(dimension: 0).map(\.version).max() ?? 0 }

    /// Brings the schema up to date (vectors of `dimension` values), under the migration advisory lock so
    /// that writers starting together apply each version once.
    public func migrate(dimension: Int) async throws {
        try await transaction {
            try await run("SELECT pg_advisory_xact_lock(\(Self.lockClass), \(Self.migrationLock))")
            try await run("CREATE TABLE IF NOT EXISTS engram_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
            let current = try await version()
            for m in Self.migrations(dimension: dimension) where m.version > current {
                for s in m.statements { try await run(PostgresQuery(unsafeSQL: s)) }
                try await run("INSERT INTO engram_migrations (version) VALUES (\(m.version))")
            }
        }
    }

    /// The applied schema version (0 for an empty database).
    public func version() async throws -> Int {
        let exists = try await rows("SELECT to_regclass('engram_migrations') IS NOT NULL") { try $0.decode(Bool.self) }
        guard exists.first == true else { return 0 }
        return try await rows("SELECT coalesce(max(version), 0) FROM engram_migrations") { try $0.decode(Int.self) }.first ?? 0
    }

    /// Fails unless the database holds an Engram index of the current schema (a reader never migrates).
    public func requireIndex() async throws {
        let v = try await version()
        guard v > 0 else { throw PostgresStoreError.noIndex(location.display) }
        guard v <= Self.schemaVersion else { throw PostgresStoreError.newerSchema(location.display, v) }
        guard v == Self.schemaVersion else { throw PostgresStoreError.olderSchema(location.display, v) }
    }

    // MARK: The writer lock

    /// Takes the database's writer lock for this connection's life (or until `unlockWriter`). Waits for
    /// another writer (after calling `notice` with its backend pid) or, when `wait` is false, fails at once.
    public func lockWriter(wait: Bool, notice: (Int) -> Void = { _ in }) async throws {
        let got = try await rows("SELECT pg_try_advisory_lock(\(Self.lockClass), \(Self.writerLock))") { try $0.decode(Bool.self) }
        if got.first == true { return }
        let holder = try await rows("""
            SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = \(Int64(Self.lockClass))::oid
              AND objid = \(Int64(Self.writerLock))::oid AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """) { try $0.decode(Int.self) }.first ?? 0
        guard wait else { throw PostgresStoreError.writerBusy(location.display, holder) }
        notice(holder)
        try await run("SELECT pg_advisory_lock(\(Self.lockClass), \(Self.writerLock))")
    }

    public func unlockWriter() async throws {
        try await run("SELECT pg_advisory_unlock(\(Self.lockClass), \(Self.writerLock))")
    }

    // MARK: Meta and roots

    public func meta(_ key: String) async throws -> String? {
        try await rows("SELECT value FROM engram_meta WHERE key = \(key)") { try $0.decode(String.self) }.first
    }

    public func setMeta(_ key: String, _ value: String) async throws {
        try await run("INSERT INTO engram_meta (key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    }

    /// The index's id (schema version 2), what memory is keyed by.
    public func indexID() async throws -> String {
        guard let id = try await meta("id") else { throw PostgresStoreError.noIndex(location.display) }
        return id
    }

    /// Records the model on first use; afterwards refuses another (its vectors would not compare).
    public func bindModel(identity: String, dimension: Int) async throws {
        if let bound = try await meta("model") {
            guard bound == identity else { throw PostgresStoreError.modelMismatch(location.display, bound, identity) }
            return
        }
        try await setMeta("model", identity)
        try await setMeta("dimension", String(dimension))
    }

    public func roots() async throws -> [String] {
        try await rows("SELECT path FROM engram_roots ORDER BY path") { try $0.decode(String.self) }
    }

    /// Adds a root; one under a known root adds nothing, and known roots under it are folded into it.
    public func addRoot(_ path: String) async throws {
        let list = try await roots()
        guard !list.contains(where: { Self.contains($0, path) }) else { return }
        for r in list where Self.contains(path, r) { try await run("DELETE FROM engram_roots WHERE path = \(r)") }
        try await run("INSERT INTO engram_roots (path) VALUES (\(path)) ON CONFLICT DO NOTHING")
    }

    public func removeRoots(under path: String) async throws {
        for r in try await roots() where Self.contains(path, r) { try await run("DELETE FROM engram_roots WHERE path = \(r)") }
    }

    /// Whether `inner` is `outer` or lies under it.
    static func contains(_ outer: String, _ inner: String) -> Bool {
        inner == outer || inner.hasPrefix(outer.hasSuffix("/") ? outer : outer + "/")
    }

    // MARK: Documents

    static let documentColumns = "id, path, size, mtime, hash, type, title, indexed_at"

    static func document(_ row: PostgresRow) throws -> IndexStore.Document {
        let (id, path, size, mtime, hash, type, title, indexedAt) =
            try row.decode((Int64, String, Int64, Double, String, String, String, Double).self)
        return IndexStore.Document(id: id, path: path, size: size, mtime: mtime, hash: hash, type: type, title: title, indexedAt: indexedAt)
    }

    public func documents() async throws -> [IndexStore.Document] {
        try await rows("SELECT \(unescaped: Self.documentColumns) FROM documents ORDER BY id", Self.document)
    }

    public func documents(ids: [Int64]) async throws -> [IndexStore.Document] {
        try await rows("SELECT \(unescaped: Self.documentColumns) FROM documents WHERE id = ANY(\(ids))", Self.document)
    }

    public func document(path: String) async throws -> IndexStore.Document? {
        try await rows("SELECT \(unescaped: Self.documentColumns) FROM documents WHERE path = \(path)", Self.document).first
    }

    /// Inserts a document, or updates the one at its path; its id.
    func upsertDocument(_ d: IndexStore.Document) async throws -> Int64 {
        try await rows("""
            INSERT INTO documents (path, size, mtime, hash, type, title, indexed_at)
            VALUES (\(d.path), \(d.size), \(d.mtime), \(d.hash), \(d.type), \(d.title), \(d.indexedAt))
            ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, hash = excluded.hash,
              type = excluded.type, title = excluded.title, indexed_at = excluded.indexed_at
            RETURNING id
            """) { try $0.decode(Int64.self) }[0]
    }

    /// A rename (or a touch): the document keeps its chunks and vectors under its new path.
    func moveDocument(id: Int64, to path: String, mtime: Double) async throws {
        try await run("UPDATE documents SET path = \(path), mtime = \(mtime) WHERE id = \(id)")
    }

    func deleteDocument(id: Int64) async throws {
        try await run("DELETE FROM documents WHERE id = \(id)")
    }

    /// Deletes the documents at or under `prefix`; how many.
    public func deleteDocuments(under prefix: String) async throws -> Int {
        let folder = prefix.hasSuffix("/") ? prefix : prefix + "/"
        return try await rows("""
            WITH gone AS (DELETE FROM documents WHERE path = \(prefix) OR starts_with(path, \(folder)) RETURNING 1)
            SELECT count(*) FROM gone
            """) { try $0.decode(Int.self) }.first ?? 0
    }

    // MARK: Chunks

    /// (id, text hash) of a document's chunks.
    func chunkHashes(ofDocument id: Int64) async throws -> [(id: Int64, hash: String)] {
        try await rows("SELECT id, text_hash FROM chunks WHERE document_id = \(id) ORDER BY ordinal") {
            let (c, h) = try $0.decode((Int64, String).self)
            return (c, h)
        }
    }

    func moveChunk(id: Int64, ordinal: Int, lineStart: Int, lineEnd: Int) async throws {
        try await run("UPDATE chunks SET ordinal = \(ordinal), line_start = \(lineStart), line_end = \(lineEnd) WHERE id = \(id)")
    }

    func deleteChunk(id: Int64) async throws {
        try await run("DELETE FROM chunks WHERE id = \(id)")
    }

    /// A new chunk, its embedding (`vector`, or a copy of chunk `copyOf`'s) and its BM25 postings.
    func insertChunk(
        documentID: Int64, ordinal: Int, text: String, lineStart: Int, lineEnd: Int, tokenCount: Int, textHash: String,
        vector: [Float]?, copyOf: Int64?, terms: [String: Int], lexLength: Int
    ) async throws {
        let id: Int64
        if let vector {
            id = try await rows("""
                INSERT INTO chunks (document_id, ordinal, text, line_start, line_end, token_count, text_hash, lex_length, embedding)
                VALUES (\(documentID), \(ordinal), \(text), \(lineStart), \(lineEnd), \(tokenCount), \(textHash), \(lexLength), \(vector)::vector)
                RETURNING id
                """) { try $0.decode(Int64.self) }[0]
        } else {
            id = try await rows("""
                INSERT INTO chunks (document_id, ordinal, text, line_start, line_end, token_count, text_hash, lex_length, embedding)
                SELECT \(documentID), \(ordinal), \(text), \(lineStart), \(lineEnd), \(tokenCount), \(textHash), \(lexLength), embedding
                FROM chunks WHERE id = \(copyOf ?? -1)
                RETURNING id
                """) { try $0.decode(Int64.self) }[0]
        }
        guard !terms.isEmpty else { return }
        let keys = Array(terms.keys), counts = keys.map { Int32(terms[$0]!) }
        try await run("INSERT INTO postings (term, chunk_id, tf) SELECT t, \(id), f FROM unnest(\(keys)::text[], \(counts)::int4[]) AS u(t, f)")
    }

    public struct StoredChunk: Sendable {
        public var id: Int64
        public var documentID: Int64
        public var text: String
        public var lineStart: Int
        public var lineEnd: Int
    }

    public func chunks(ids: [Int64]) async throws -> [Int64: StoredChunk] {
        let list = try await rows("SELECT id, document_id, text, line_start, line_end FROM chunks WHERE id = ANY(\(ids))") { row in
            let (id, d, text, s, e) = try row.decode((Int64, Int64, String, Int, Int).self)
            return StoredChunk(id: id, documentID: d, text: text, lineStart: s, lineEnd: e)
        }
        return Dictionary(list.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    // MARK: Status

    public struct Stats: Sendable {
        public var documents: Int
        public var chunks: Int
        public var postings: Int
        public var bytes: Int64
        public var lastIndexed: Double?
        public var model: String?
        public var dimension: Int?
        public var precision: String?
        public var roots: [String]
        public var schemaVersion: Int
    }

    public func stats() async throws -> Stats {
        let (documents, chunks, postings, bytes, last) = try await rows("""
            SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM chunks), (SELECT count(*) FROM postings),
                   pg_database_size(current_database()), (SELECT max(indexed_at) FROM documents)
            """) { try $0.decode((Int, Int, Int, Int64, Double?).self) }[0]
        return Stats(documents: documents, chunks: chunks, postings: postings, bytes: bytes, lastIndexed: last,
                     model: try await meta("model"), dimension: try await meta("dimension").flatMap(Int.init),
                     precision: try await meta("precision"), roots: try await roots(), schemaVersion: try await version())
    }
}

/// Where a PostgreSQL store is: `postgresql://[user[:password]@]host[:port]/database`.
public struct PostgresLocation: Sendable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    public static func isURL(_ s: String) -> Bool { s.hasPrefix("postgresql://") || s.hasPrefix("postgres://") }

    public init(url: String) throws {
        guard Self.isURL(url), let c = URLComponents(string: url), let host = c.host, !host.isEmpty else {
            throw PostgresStoreError.badURL(url)
        }
        self.host = host
        port = c.port ?? 5432
        user = c.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        password = c.password.flatMap { $0.removingPercentEncoding }
        let db = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        database = db.isEmpty ? user : db
    }

    var configuration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: .disable)
    }

    /// The URL without its password, for messages.
    public var display: String { "postgresql://\(user)@\(host):\(port)/\(database)" }
}

public enum PostgresStoreError: Error, CustomStringConvertible, Equatable {
    case badURL(String)
    case cannotConnect(String, String)
    case query(String)
    case noIndex(String)
    case newerSchema(String, Int)
    case olderSchema(String, Int)
    case writerBusy(String, Int)
    case modelMismatch(String, String, String)

    public var description: String {
        switch self {
        case .badURL(let u): return "\(u) is not a postgresql://[user[:password]@]host[:port]/database URL"
        case .cannotConnect(let u, let why): return "cannot connect to \(u): \(why)"
        case .query(let why): return "PostgreSQL: \(why)"
        case .noIndex(let u): return "\(u) holds no Engram index yet (engram-pg index FOLDER --store \(u))"
        case .newerSchema(let u, let v): return "\(u) has schema version \(v), newer than this engram's \(PostgresStore.schemaVersion)"
        case .olderSchema(let u, let v): return "\(u) has schema version \(v): run engram-pg index once to migrate it"
        case .writerBusy(let u, let pid): return "another engram is writing \(u)\(pid > 0 ? " (server pid \(pid))" : "")"
        case .modelMismatch(let u, let bound, let given):
            return "\(u) was built with \(bound), not \(given): its vectors would not compare"
        }
    }

    /// The server's own message where there is one (postgres-nio's description hides it).
    static func describe(_ error: Error) -> String {
        if let e = error as? PSQLError {
            if let m = e.serverInfo?[.message] {
                let detail = e.serverInfo?[.detail].map { " (\($0))" } ?? ""
                return m + detail
            }
            if let u = e.underlying {
                let text = String(describing: u)
                return text.contains("Connection refused") ? "connection refused (is the server running?)" : text
            }
            return String(describing: e.code)
        }
        return String(describing: error)
    }
}
