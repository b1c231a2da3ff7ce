import Foundation

/// One Engram index: a SQLite file holding documents, chunks, their vectors, lexical postings and
/// an FTS5 table, plus the identity of the model that made the vectors.
public final class IndexStore {
    public let path: String
    public let db: Database

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

    /// Opens (and, with `create`, creates or migrates) the index at `path`.
    public init(path: String, create: Bool) throws {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !create {
            throw StoreError.cannotOpen(path: path, message: "no index there yet: run `engram index FOLDER` first")
        }
        if create {
            try? FileManager.default.createDirectory(
                at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        }
        db = try Database(path: path)
        try prepare(create: create)
    }

    private func prepare(create: Bool) throws {
        let version = Int(try db.scalarInt("PRAGMA user_version") ?? 0)
        if version == 0 {
            // A file with tables but no version is someone else's database.
            let tables = try db.scalarInt("SELECT count(*) FROM sqlite_master") ?? 0
            guard tables == 0 else { throw StoreError.notAnIndex(path: path) }
            guard create else { throw StoreError.notAnIndex(path: path) }
        } else {
            guard (try? db.scalarText("SELECT value FROM meta WHERE key = 'format'")) == "engram-index" else {
                throw StoreError.notAnIndex(path: path)
            }
        }
        guard version <= Schema.version else {
            throw StoreError.schemaTooNew(path: path, version: version, supported: Schema.version)
        }
        try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA mmap_size=268435456")
        if version < Schema.version {
            try db.transaction {
                for v in version..<Schema.version { try db.execute(Schema.migrations[v]) }
                try db.execute("PRAGMA user_version = \(Schema.version)")
            }
        }
    }

    // MARK: Meta and model identity

    public func meta(_ key: String) throws -> String? {
        try db.scalarText("SELECT value FROM meta WHERE key = ?", [.text(key)])
    }

    public func setMeta(_ key: String, _ value: String) throws {
        try db.run("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                   [.text(key), .text(value)])
    }

    /// Records the model on first use; afterwards refuses any other model.
    public func bindModel(identity: String, dimension: Int) throws {
        if let recorded = try meta("model") {
            let dim = try meta("dimension").flatMap(Int.init) ?? dimension
            guard recorded == identity, dim == dimension else {
                throw StoreError.modelMismatch(path: path, indexModel: "\(recorded) (\(dim)-d)", currentModel: "\(identity) (\(dimension)-d)")
            }
        } else {
            try setMeta("model", identity)
            try setMeta("dimension", String(dimension))
        }
    }

    // MARK: Documents

    public func documents() throws -> [Document] {
        let s = try db.statement("SELECT id, path, size, mtime, hash, type, title, indexed_at FROM documents")
        var out: [Document] = []
        while try s.step() { out.append(document(s)) }
        return out
    }

    public func document(id: Int64) throws -> Document? {
        let s = try db.statement("SELECT id, path, size, mtime, hash, type, title, indexed_at FROM documents WHERE id = ?")
        defer { s.reset() }
        try s.bind([.int(id)])
        return try s.step() ? document(s) : nil
    }

    public func document(path: String) throws -> Document? {
        let s = try db.statement("SELECT id, path, size, mtime, hash, type, title, indexed_at FROM documents WHERE path = ?")
        defer { s.reset() }
        try s.bind([.text(path)])
        return try s.step() ? document(s) : nil
    }

    private func document(_ s: Statement) -> Document {
        Document(id: s.int(0), path: s.text(1), size: s.int(2), mtime: s.double(3), hash: s.text(4),
                 type: s.text(5), title: s.text(6), indexedAt: s.double(7))
    }

    /// Inserts a document, or updates the one with the same path; returns its id.
    @discardableResult
    public func upsertDocument(_ d: Document) throws -> Int64 {
        try db.run("""
            INSERT INTO documents(path, size, mtime, hash, type, title, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, hash = excluded.hash,
                type = excluded.type, title = excluded.title, indexed_at = excluded.indexed_at
            """, [.text(d.path), .int(d.size), .double(d.mtime), .text(d.hash), .text(d.type), .text(d.title), .double(d.indexedAt)])
        return try db.scalarInt("SELECT id FROM documents WHERE path = ?", [.text(d.path)]) ?? db.lastInsertRowID
    }

    public func deleteDocument(id: Int64) throws {
        try db.run("DELETE FROM documents WHERE id = ?", [.int(id)])
    }

    /// Moves a document to a new path (a rename), keeping its chunks and vectors.
    public func moveDocument(id: Int64, to path: String, mtime: Double) throws {
        try db.run("UPDATE documents SET path = ?, mtime = ? WHERE id = ?", [.text(path), .double(mtime), .int(id)])
    }

    /// Deletes every document whose path is `prefix` or lies under it; returns how many.
    public func deleteDocuments(under prefix: String) throws -> Int {
        let folder = prefix.hasSuffix("/") ? prefix : prefix + "/"
        try db.run("DELETE FROM documents WHERE path = ? OR substr(path, 1, ?) = ?",
                   [.text(prefix), .int(Int64(folder.utf8.count)), .text(folder)])
        return db.changes
    }

    // MARK: Chunks

    public func chunks(ofDocument id: Int64) throws -> [Chunk] {
        let s = try db.statement("""
            SELECT id, document_id, ordinal, text, line_start, line_end, token_count, text_hash
            FROM chunks WHERE document_id = ? ORDER BY ordinal
            """)
        try s.bind([.int(id)])
        var out: [Chunk] = []
        while try s.step() { out.append(chunk(s)) }
        return out
    }

    public func chunk(id: Int64) throws -> Chunk? {
        let s = try db.statement("""
            SELECT id, document_id, ordinal, text, line_start, line_end, token_count, text_hash FROM chunks WHERE id = ?
            """)
        defer { s.reset() }
        try s.bind([.int(id)])
        return try s.step() ? chunk(s) : nil
    }

    private func chunk(_ s: Statement) -> Chunk {
        Chunk(id: s.int(0), documentID: s.int(1), ordinal: Int(s.int(2)), text: s.text(3), lineStart: Int(s.int(4)),
              lineEnd: Int(s.int(5)), tokenCount: Int(s.int(6)), textHash: s.text(7))
    }

    /// Stores a chunk with its vector and lexical term counts.
    @discardableResult
    public func insertChunk(_ c: Chunk, vector: [Float], terms: [String: Int], lexLength: Int) throws -> Int64 {
        try db.run("""
            INSERT INTO chunks(document_id, ordinal, text, line_start, line_end, token_count, text_hash, lex_length)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.int(c.documentID), .int(Int64(c.ordinal)), .text(c.text), .int(Int64(c.lineStart)), .int(Int64(c.lineEnd)),
                  .int(Int64(c.tokenCount)), .text(c.textHash), .int(Int64(lexLength))])
        let id = db.lastInsertRowID
        let blob = vector.withUnsafeBytes { Data($0) }
        try db.run("INSERT INTO vectors(chunk_id, vector) VALUES (?, ?)", [.int(id), .blob(blob)])
        for (term, tf) in terms {
            try db.run("INSERT INTO postings(term, chunk_id, tf) VALUES (?, ?, ?)", [.text(term), .int(id), .int(Int64(tf))])
        }
        return id
    }

    /// Re-homes an existing chunk (same text) at a new position in its document.
    public func moveChunk(id: Int64, ordinal: Int, lineStart: Int, lineEnd: Int) throws {
        try db.run("UPDATE chunks SET ordinal = ?, line_start = ?, line_end = ? WHERE id = ?",
                   [.int(Int64(ordinal)), .int(Int64(lineStart)), .int(Int64(lineEnd)), .int(id)])
    }

    public func deleteChunk(id: Int64) throws {
        try db.run("DELETE FROM chunks WHERE id = ?", [.int(id)])
    }

    // MARK: Search data

    /// Every chunk vector in one contiguous row-major matrix, with each row's chunk and document id.
    public func loadVectors(dimension: Int) throws -> (chunkIDs: [Int64], documentIDs: [Int64], matrix: [Float]) {
        let count = Int(try db.scalarInt("SELECT count(*) FROM vectors") ?? 0)
        var chunkIDs: [Int64] = [], documentIDs: [Int64] = []
        chunkIDs.reserveCapacity(count)
        documentIDs.reserveCapacity(count)
        var matrix = [Float](repeating: 0, count: count * dimension)
        let s = try db.statement("SELECT v.chunk_id, c.document_id, v.vector FROM vectors v JOIN chunks c ON c.id = v.chunk_id")
        var row = 0
        try matrix.withUnsafeMutableBytes { out in
            while try s.step() {
                guard row < count else { break }
                let ok = s.withBlob(2) { blob -> Bool in
                    guard blob.count == dimension * 4 else { return false }
                    out.baseAddress!.advanced(by: row * dimension * 4).copyMemory(from: blob.baseAddress!, byteCount: blob.count)
                    return true
                }
                guard ok else { throw StoreError.corrupt(path: path, message: "vector of chunk \(s.int(0)) has the wrong size") }
                chunkIDs.append(s.int(0))
                documentIDs.append(s.int(1))
                row += 1
            }
        }
        if row < count { matrix.removeLast((count - row) * dimension) }
        return (chunkIDs, documentIDs, matrix)
    }

    /// The stored vector of one chunk.
    public func vector(chunkID: Int64) throws -> [Float]? {
        let s = try db.statement("SELECT vector FROM vectors WHERE chunk_id = ?")
        defer { s.reset() }
        try s.bind([.int(chunkID)])
        guard try s.step() else { return nil }
        return s.withBlob(0) { Array($0.bindMemory(to: Float.self)) }
    }

    /// (chunk id, term frequency) for every chunk that holds `term`.
    public func postings(_ term: String) throws -> [(chunkID: Int64, tf: Int)] {
        let s = try db.statement("SELECT chunk_id, tf FROM postings WHERE term = ?")
        try s.bind([.text(term)])
        var out: [(Int64, Int)] = []
        while try s.step() { out.append((s.int(0), Int(s.int(1)))) }
        return out
    }

    /// Lexical length of every chunk, keyed by id, plus their count and mean (for BM25).
    public func lexicalLengths() throws -> (lengths: [Int64: Int], average: Double) {
        let s = try db.statement("SELECT id, lex_length FROM chunks")
        var lengths: [Int64: Int] = [:]
        var total = 0
        while try s.step() {
            let l = Int(s.int(1))
            lengths[s.int(0)] = l
            total += l
        }
        return (lengths, lengths.isEmpty ? 0 : Double(total) / Double(lengths.count))
    }

    /// FTS5's own bm25() over the chunk texts for an FTS5 MATCH expression: (chunk id, score, higher is better).
    public func fts5Search(_ match: String, limit: Int) throws -> [(chunkID: Int64, score: Double)] {
        let s = try db.statement("SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts) LIMIT ?")
        try s.bind([.text(match), .int(Int64(limit))])
        var out: [(Int64, Double)] = []
        while try s.step() { out.append((s.int(0), s.double(1))) }
        return out
    }

    // MARK: Status

    public struct Stats: Sendable {
        public var documents: Int
        public var chunks: Int
        public var bytes: Int64
        public var lastIndexed: Double?
        public var model: String?
        public var dimension: Int?
    }

    public func stats() throws -> Stats {
        let fm = FileManager.default
        let size = ["", "-wal", "-shm"].reduce(Int64(0)) { sum, suffix in
            sum + ((try? fm.attributesOfItem(atPath: path + suffix)[.size] as? NSNumber)?.int64Value ?? 0)
        }
        let last = try db.statement("SELECT max(indexed_at) FROM documents")
        defer { last.reset() }
        let lastIndexed = try last.step() && !last.isNull(0) ? last.double(0) : nil
        return Stats(
            documents: Int(try db.scalarInt("SELECT count(*) FROM documents") ?? 0),
            chunks: Int(try db.scalarInt("SELECT count(*) FROM chunks") ?? 0),
            bytes: size, lastIndexed: lastIndexed, model: try meta("model"), dimension: try meta("dimension").flatMap(Int.init))
    }

    /// `PRAGMA integrity_check` (and FTS5's own check); "ok" when healthy.
    public func integrityCheck() throws -> String {
        let result = try db.scalarText("PRAGMA integrity_check") ?? "no answer"
        guard result == "ok" else { return result }
        do { try db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('integrity-check')") } catch { return "fts5: \(error)" }
        return "ok"
    }
}
