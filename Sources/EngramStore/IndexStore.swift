import Foundation

/// One Engram index: a SQLite file holding documents, chunks, their vectors, lexical postings and
/// an FTS5 table, plus the identity of the model that made the vectors.
///
/// The store owns its transactions: `read { }` sees one committed snapshot, `write { }` commits all or
/// nothing. A store opened `.read` never writes the file (nor creates `-wal`/`-shm` files), so a user who
/// may only read the index can search it and leaves nothing behind. A store opened `.write` holds the
/// index's `WriterLock` for its whole life: one writer at a time, any number of readers.
public final class IndexStore {
    public let path: String
    let db: Database
    /// Held by writers for the store's lifetime.
    private let lock: WriterLock?
    /// Short-term memory rows that an earlier schema kept inside the index, taken out by this writer's
    /// migration (see `legacyMemory()`); the caller moves them to the user's own memory store.
    public private(set) var migratedMemory = LegacyMemory()

    /// How a store opens its file.
    public enum Access {
        /// Read-only: never writes, never creates files, never waits for a writer.
        case read
        /// The writer: creates (and migrates) the file when `create`, and takes the writer lock.
        case write(create: Bool, wait: WriterLock.Wait)
    }

    /// A document as recorded at its last indexing.
    public struct Document: Sendable, Equatable {
        public var id: Int64
        public var path: String
        public var size: Int64
        public var mtime: Double
        public var hash: String
        public var type: String
        public var title: String
        public var indexedAt: Double

        public init(id: Int64, path: String, size: Int64, mtime: Double, hash: String, type: String, title: String, indexedAt: Double) {
            (self.id, self.path, self.size, self.mtime, self.hash) = (id, path, size, mtime, hash)
            (self.type, self.title, self.indexedAt) = (type, title, indexedAt)
        }
    }

    /// A stored chunk (without its vector).
    public struct Chunk: Sendable, Equatable {
        public var id: Int64
        public var documentID: Int64
        public var ordinal: Int
        public var text: String
        public var lineStart: Int
        public var lineEnd: Int
        public var tokenCount: Int
        public var textHash: String

        public init(id: Int64, documentID: Int64, ordinal: Int, text: String, lineStart: Int, lineEnd: Int, tokenCount: Int, textHash: String) {
            (self.id, self.documentID, self.ordinal, self.text) = (id, documentID, ordinal, text)
            (self.lineStart, self.lineEnd, self.tokenCount, self.textHash) = (lineStart, lineEnd, tokenCount, textHash)
        }
    }

    public init(path: String, access: Access) throws {
        self.path = path
        var isFolder: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isFolder)
        if isFolder.boolValue {
            throw StoreError.cannotOpen(path: path, message: "a folder, not an index file (pass a file such as \(path)/index.sqlite)")
        }
        let missing = StoreError.cannotOpen(path: path, message: "no index there yet: create it with `engram index FOLDER --index \(path)`")
        switch access {
        case .read:
            guard exists else { throw missing }
            lock = nil
            db = try Database(path: path, readOnly: true)
            try checkReadable()
        case .write(let create, let wait):
            guard exists || create else { throw missing }
            if create {
                try? FileManager.default.createDirectory(
                    at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
            }
            // The lock comes first, so two processes creating one index never both run its migrations.
            lock = try WriterLock(index: path, wait: wait)
            db = try Database(path: path)
            try prepareForWriting(create: create)
        }
    }

    deinit {
        // A writer leaves the file in rollback-journal mode, with its WAL folded in and deleted: a reader
        // then needs no -wal/-shm file, so one who may not write the folder can read it, and one who may
        // creates none (which, owned by them, would lock the owner out). If a reader is busy, the file stays
        // in WAL mode until the next writer; readers then share the writer's files and create none either.
        if lock != nil {
            try? db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            try? db.execute("PRAGMA journal_mode=DELETE")
        }
    }

    /// A number that changes whenever another connection commits to the file: a long-lived reader
    /// compares it with the one it loaded its data at to know that data is stale.
    public func dataVersion() throws -> Int64 {
        try db.scalarInt("PRAGMA data_version") ?? 0
    }

    /// True for the store that holds the writer lock.
    public var isWriter: Bool { lock != nil }

    /// Runs `body` on one consistent, committed snapshot of the index.
    public func read<T>(_ body: () throws -> T) throws -> T {
        if db.inTransaction { return try body() }
        return try db.transaction(immediate: false, body)
    }

    /// Runs `body` as one transaction: all of its changes are committed together, or none.
    public func write<T>(_ body: () throws -> T) throws -> T {
        guard lock != nil else { throw StoreError.notWritable(path: path, reason: "opened for reading; changes need the writer") }
        return try db.transaction(body)
    }

    /// Changes are allowed only inside `write { }` of a writer.
    func requireWrite() throws {
        guard lock != nil, db.inTransaction else {
            throw StoreError.notWritable(path: path, reason: "a change outside write { } (a bug in engram)")
        }
    }

    private func checkReadable() throws {
        let version = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
        guard version > 0, (try? db.scalarText("SELECT value FROM meta WHERE key = 'format'")) == "engram-index" else {
            throw StoreError.notAnIndex(path: path)
        }
        guard version <= Schema.version else {
            throw StoreError.schemaTooNew(path: path, version: version, supported: Schema.version)
        }
        try db.execute("PRAGMA mmap_size=268435456")
    }

    private func prepareForWriting(create: Bool) throws {
        let version = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
        if version == 0 {
            // A file with tables but no version is someone else's database.
            let tables = try db.scalarInt("SELECT count(*) FROM sqlite_master") ?? 0
            guard tables == 0, create else { throw StoreError.notAnIndex(path: path) }
        } else {
            guard (try? db.scalarText("SELECT value FROM meta WHERE key = 'format'")) == "engram-index" else {
                throw StoreError.notAnIndex(path: path)
            }
        }
        guard version <= Schema.version else {
            throw StoreError.schemaTooNew(path: path, version: version, supported: Schema.version)
        }
        // A 128 MB page cache: postings go in by (term, chunk), scattered over the table, which a large index
        // would otherwise read back from the OS page by page.
        try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA mmap_size=268435456; PRAGMA cache_size=-131072")
        guard version < Schema.version else { return }
        try db.transaction {
            if version >= 2 { migratedMemory = try legacyMemory() }
            for v in version..<Schema.version { try db.execute(Schema.migrations[v]) }
            if try meta("id") == nil { try setMeta("id", UUID().uuidString.lowercased()) }
            try db.execute("PRAGMA user_version = \(Schema.version)")
        }
    }

    // MARK: Meta and identity

    public func meta(_ key: String) throws -> String? {
        try db.scalarText("SELECT value FROM meta WHERE key = ?", [.text(key)])
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try requireWrite()
        try db.run("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                   [.text(key), .text(value)])
    }

    /// What memory is keyed by: the index's own id, set when it was created (or first written by this
    /// schema); an index last written by an older engram falls back to its path until its next `engram index`.
    public func identity() throws -> IndexIdentity {
        if let id = try meta("id") { return IndexIdentity(id: id, path: path) }
        return IndexIdentity(id: nil, path: path)
    }

    /// Records the model on first use; afterwards refuses any other model.
    public func bindModel(identity: String, dimension: Int) throws {
        if let recorded = try meta("model") {
            let dim = try meta("dimension").flatMap(Int.init) ?? dimension
            guard recorded == identity, dim == dimension else {
                throw StoreError.modelMismatch(path: path, indexModel: "\(recorded) (\(dim)-d)", currentModel: "\(identity) (\(dimension)-d)")
            }
        } else if lock != nil {
            try write {
                try setMeta("model", identity)
                try setMeta("dimension", String(dimension))
            }
        }
    }

    // MARK: Status

    public struct Stats: Sendable {
        public var documents: Int
        public var chunks: Int
        public var vectors: Int
        public var postings: Int
        public var bytes: Int64
        public var lastIndexed: Double?
        public var model: String?
        public var dimension: Int?
        /// The number format the vectors were computed in (indexes from before it was recorded: fp32).
        public var precision: String?
        /// The folders the index was built from.
        public var roots: [String]

        /// Figures read elsewhere (another store's), for the same answers as an index file's.
        public init(documents: Int, chunks: Int, vectors: Int, postings: Int, bytes: Int64, lastIndexed: Double?, model: String?,
                    dimension: Int?, precision: String?, roots: [String]) {
            (self.documents, self.chunks, self.vectors, self.postings, self.bytes) = (documents, chunks, vectors, postings, bytes)
            (self.lastIndexed, self.model, self.dimension, self.precision, self.roots) = (lastIndexed, model, dimension, precision, roots)
        }
    }

    public func stats() throws -> Stats {
        let fm = FileManager.default
        let size = ["", "-wal", "-shm"].reduce(Int64(0)) { sum, suffix in
            sum + ((try? fm.attributesOfItem(atPath: path + suffix)[.size] as? NSNumber)?.int64Value ?? 0)
        }
        return try read {
            let last = try db.statement("SELECT max(indexed_at) FROM documents")
            defer { last.reset() }
            let lastIndexed = try last.step() && !last.isNull(0) ? last.double(0) : nil
            func count(_ table: String) throws -> Int { Int(try db.scalarInt("SELECT count(*) FROM \(table)") ?? 0) }
            let chunks = try count("chunks")
            return Stats(
                documents: try count("documents"), chunks: chunks, vectors: try count("vectors"),
                postings: try count("postings"), bytes: size, lastIndexed: lastIndexed, model: try meta("model"),
                dimension: try meta("dimension").flatMap(Int.init), precision: try meta("precision") ?? (chunks > 0 ? "fp32" : nil),
                roots: try roots())
        }
    }
}

/// Which index a memory belongs to: its id when it has one, else its path.
public struct IndexIdentity: Sendable, Equatable {
    public let id: String?
    public let path: String

    public init(id: String?, path: String) { (self.id, self.path) = (id, path) }

    /// The key under which memory is stored.
    public var key: String { id ?? pathKey }
    /// The key an index had before it got an id.
    public var pathKey: String { "path:" + path }
}
