import Foundation

extension IndexStore {
    /// `PRAGMA integrity_check`, and FTS5's own check when this store is the writer (it is spelled as an
    /// INSERT, which a read-only connection may not run); "ok" when healthy.
    public func integrityCheck() throws -> String {
        let result = try read { try db.scalarText("PRAGMA integrity_check") ?? "no answer" }
        guard result == "ok", isWriter else { return result }
        do {
            try write { try db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('integrity-check')") }
        } catch {
            return "fts5: \(error)"
        }
        return "ok"
    }

    /// The engine's own invariants, one line per broken one (empty when all hold): one row per path,
    /// chunk ordinals 0..<n per document, exactly one vector per chunk, no postings or FTS rows for
    /// missing chunks.
    public func invariantProblems() throws -> [String] {
        var problems = try read {
            func count(_ sql: String) throws -> Int64 { try db.scalarInt(sql) ?? -1 }
            var problems: [String] = []
            let checks: [(String, String)] = [
                ("SELECT count(*) - count(DISTINCT path) FROM documents", "documents with duplicate paths"),
                ("SELECT count(*) FROM chunks c LEFT JOIN vectors v ON v.chunk_id = c.id WHERE v.chunk_id IS NULL", "chunks without vectors"),
                ("SELECT count(*) FROM vectors v LEFT JOIN chunks c ON c.id = v.chunk_id WHERE c.id IS NULL", "vectors without chunks"),
                ("SELECT count(*) FROM postings p LEFT JOIN chunks c ON c.id = p.chunk_id WHERE c.id IS NULL", "postings without chunks"),
                ("SELECT count(*) FROM chunks c LEFT JOIN documents d ON d.id = c.document_id WHERE d.id IS NULL", "chunks without documents"),
                ("""
                 SELECT count(*) FROM (SELECT document_id, count(*) n, min(ordinal) lo, max(ordinal) hi, count(DISTINCT ordinal) k
                 FROM chunks GROUP BY document_id) WHERE lo != 0 OR hi != n - 1 OR k != n
                 """, "documents whose chunk ordinals have gaps or repeats"),
                ("SELECT (SELECT count(*) FROM chunks_fts) - (SELECT count(*) FROM chunks)", "FTS5 rows that are not chunks"),
            ]
            for (sql, what) in checks {
                let n = try count(sql)
                if n != 0 { problems.append("\(abs(n)) \(what)") }
            }
            return problems
        }
        let integrity = try integrityCheck()
        if integrity != "ok" { problems.append("integrity: \(integrity)") }
        return problems
    }

    /// Every document with its chunks' texts and line ranges, in path order: what two indexes must
    /// share to hold the same content (ids may differ).
    public func contentSummary() throws -> [String] {
        try read {
            let s = try db.statement("""
                SELECT d.path, d.hash, c.ordinal, c.line_start, c.line_end, c.text_hash,
                       (SELECT count(*) FROM postings p WHERE p.chunk_id = c.id), length(v.vector)
                FROM documents d JOIN chunks c ON c.document_id = d.id LEFT JOIN vectors v ON v.chunk_id = c.id
                ORDER BY d.path, c.ordinal
                """)
            defer { s.reset() }
            var out: [String] = []
            while try s.step() {
                out.append("\(s.text(0)) \(s.text(1)) #\(s.int(2)) \(s.int(3))-\(s.int(4)) \(s.text(5)) postings \(s.int(6)) vector \(s.int(7))")
            }
            return out
        }
    }
}

// MARK: Vectors and repair

extension IndexStore {
    /// Chunks whose vector is missing, of the wrong size, or holds a value that is not finite.
    public func damagedVectors(dimension: Int) throws -> (missing: [Int64], damaged: [Int64]) {
        try read {
            var missing: [Int64] = [], damaged: [Int64] = []
            let s = try db.statement("SELECT c.id, v.vector FROM chunks c LEFT JOIN vectors v ON v.chunk_id = c.id")
            defer { s.reset() }
            while try s.step() {
                if s.isNull(1) { missing.append(s.int(0)); continue }
                let ok = s.withBlob(1) { blob in
                    blob.count == dimension * 4 && blob.bindMemory(to: Float.self).allSatisfy(\.isFinite)
                }
                if !ok { damaged.append(s.int(0)) }
            }
            return (missing, damaged)
        }
    }

    /// Stores (or replaces) a chunk's vector.
    public func setVector(chunkID: Int64, _ vector: [Float]) throws {
        try requireWrite()
        try db.run("INSERT INTO vectors(chunk_id, vector) VALUES (?, ?) ON CONFLICT(chunk_id) DO UPDATE SET vector = excluded.vector",
                   [.int(chunkID), .blob(vector.withUnsafeBytes { Data($0) })])
    }

    /// Deletes rows that belong to nothing (vectors and postings of missing chunks, chunks of missing
    /// documents); returns how many went.
    public func deleteOrphans() throws -> Int {
        try requireWrite()
        var n = 0
        for sql in ["DELETE FROM chunks WHERE document_id NOT IN (SELECT id FROM documents)",
                    "DELETE FROM vectors WHERE chunk_id NOT IN (SELECT id FROM chunks)",
                    "DELETE FROM postings WHERE chunk_id NOT IN (SELECT id FROM chunks)"] {
            try db.run(sql)
            n += db.changes
        }
        return n
    }

    /// Rebuilds the FTS5 table from the chunks.
    public func rebuildFullText() throws {
        try requireWrite()
        try db.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('rebuild')")
    }

    /// Reclaims the space of deleted rows (`VACUUM`); a writer only, outside any transaction.
    public func compact() throws {
        guard isWriter, !db.inTransaction else { throw StoreError.notWritable(path: path, reason: "compacting needs the writer") }
        try db.execute("VACUUM")
    }
}
