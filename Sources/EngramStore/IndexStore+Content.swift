import Foundation

/// Documents and chunks: read anywhere, changed only inside `write { }`.
extension IndexStore {
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

    /// Each document's id, path, type and mtime (what search filters read), under `folder` and from
    /// `since` when given (the folder through the path index); the other fields are left empty.
    public func documentKeys(folder: String? = nil, since: Double? = nil) throws -> [Document] {
        var sql = "SELECT id, path, type, mtime FROM documents WHERE 1", values: [SQLValue] = []
        if let folder {
            // Paths under `folder/` sort between it and the same prefix with its last byte raised.
            sql += " AND path >= ? AND path < ?"
            values += [.text(folder), .text(String(folder.dropLast()) + "0")]  // "/" + 1 == "0"
        }
        if let since {
            sql += " AND mtime >= ?"
            values.append(.double(since))
        }
        let s = try db.statement(sql)
        try s.bind(values)
        var out: [Document] = []
        while try s.step() {
            out.append(Document(id: s.int(0), path: s.text(1), size: 0, mtime: s.double(3), hash: "", type: s.text(2), title: "", indexedAt: 0))
        }
        return out
    }

    /// The distinct document types the index holds.
    public func documentTypes() throws -> [String] {
        let s = try db.statement("SELECT DISTINCT type FROM documents")
        var out: [String] = []
        while try s.step() { out.append(s.text(0)) }
        return out
    }

    /// Whether some document's path ends in `.ext` (any case).
    public func hasDocument(withExtension ext: String) throws -> Bool {
        try db.scalarInt("SELECT EXISTS(SELECT 1 FROM documents WHERE lower(path) LIKE '%.' || ?)", [.text(ext.lowercased())]) == 1
    }

    private func document(_ s: Statement) -> Document {
        Document(id: s.int(0), path: s.text(1), size: s.int(2), mtime: s.double(3), hash: s.text(4),
                 type: s.text(5), title: s.text(6), indexedAt: s.double(7))
    }

    /// Inserts a document, or updates the one with the same path; returns its id.
    @discardableResult
    public func upsertDocument(_ d: Document) throws -> Int64 {
        try requireWrite()
        try db.run("""
            INSERT INTO documents(path, size, mtime, hash, type, title, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(path) DO UPDATE SET size = excluded.size, mtime = excluded.mtime, hash = excluded.hash,
                type = excluded.type, title = excluded.title, indexed_at = excluded.indexed_at
            """, [.text(d.path), .int(d.size), .double(d.mtime), .text(d.hash), .text(d.type), .text(d.title), .double(d.indexedAt)])
        return try db.scalarInt("SELECT id FROM documents WHERE path = ?", [.text(d.path)]) ?? db.lastInsertRowID
    }

    public func deleteDocument(id: Int64) throws {
        try requireWrite()
        try db.run("DELETE FROM documents WHERE id = ?", [.int(id)])
    }

    /// Moves a document to a new path (a rename), keeping its chunks and vectors.
    public func moveDocument(id: Int64, to path: String, mtime: Double) throws {
        try requireWrite()
        try db.run("UPDATE documents SET path = ?, mtime = ? WHERE id = ?", [.text(path), .double(mtime), .int(id)])
    }

    /// Deletes every document whose path is `prefix` or lies under it; returns how many.
    public func deleteDocuments(under prefix: String) throws -> Int {
        try requireWrite()
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

    /// Stores a chunk with its vector and lexical term counts. Its id is above every id the search segment
    /// covers, even deleted ones, so the segment never mistakes a new chunk for one it holds.
    @discardableResult
    public func insertChunk(_ c: Chunk, vector: [Float], terms: [String: Int], lexLength: Int) throws -> Int64 {
        try requireWrite()
        try db.run("""
            INSERT INTO chunks(id, document_id, ordinal, text, line_start, line_end, token_count, text_hash, lex_length)
            VALUES (max(coalesce((SELECT max(id) FROM chunks), 0),
                        coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'segment_covered'), 0)) + 1,
                    ?, ?, ?, ?, ?, ?, ?, ?)
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
        try requireWrite()
        try db.run("UPDATE chunks SET ordinal = ?, line_start = ?, line_end = ? WHERE id = ?",
                   [.int(Int64(ordinal)), .int(Int64(lineStart)), .int(Int64(lineEnd)), .int(id)])
    }

    public func deleteChunk(id: Int64) throws {
        try requireWrite()
        try db.run("DELETE FROM chunks WHERE id = ?", [.int(id)])
    }
}
