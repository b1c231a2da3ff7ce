import EngramStore
import Foundation
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// What `bulkImport` copied, and where its time went.
    public struct BulkImportSummary: Sendable, Encodable {
        public var documents = 0
        public var chunks = 0
        public var postings = 0
        /// Streaming the rows in (COPY), seconds.
        public var copy_s = 0.0
        /// Rebuilding the keys, the document and postings indexes and the full-text index, seconds.
        public var indexes_s = 0.0
        /// Building the HNSW index over the vectors, seconds.
        public var hnsw_s = 0.0
        /// VACUUM (ANALYZE) of the new tables, seconds.
        public var vacuum_s = 0.0
        public var seconds = 0.0
    }

    /// Whether the store holds no document (a bulk import's precondition).
    public func isEmpty() async throws -> Bool {
        try await rows("SELECT NOT EXISTS (SELECT 1 FROM documents)") { try $0.decode(Bool.self) }.first ?? true
    }

    /// Copies a SQLite index into this empty store the way PostgreSQL loads large tables: the secondary indexes
    /// and foreign keys are dropped, documents, chunks (text, lines, vectors) and the SQLite index's own BM25
    /// postings stream in through COPY under their SQLite ids, then the keys and indexes are built again, the
    /// HNSW index last (with the server's `maintenance_work_mem` and parallel maintenance workers). All in one
    /// transaction: a run that fails or is killed leaves the store empty. Then VACUUM (ANALYZE), so searches find
    /// the visibility map and statistics ready. The caller holds the writer lock.
    public func bulkImport(_ path: String, progress: @escaping (String) -> Void = { _ in }) async throws -> BulkImportSummary {
        let started = Date()
        let lite = try IndexStore(path: path, access: .read)
        let stats = try lite.stats()
        guard let model = stats.model, let dimension = stats.dimension else { return BulkImportSummary() }
        try await migrate(dimension: dimension)
        try await bindModel(identity: model, dimension: dimension)
        if let precision = stats.precision { try await setMeta("precision", precision) }
        let db = try Database(path: path, readOnly: true)
        var summary = BulkImportSummary()
        try await transaction {
            guard try await isEmpty() else { throw PostgresStoreError.query("bulk import needs an empty store") }
            for s in [
                "DROP INDEX IF EXISTS chunks_embedding", "DROP INDEX IF EXISTS chunks_tsv", "DROP INDEX IF EXISTS chunks_document",
                "DROP INDEX IF EXISTS postings_chunk", "ALTER TABLE postings DROP CONSTRAINT IF EXISTS postings_chunk_id_fkey",
                "ALTER TABLE postings DROP CONSTRAINT IF EXISTS postings_pkey",
                "ALTER TABLE chunks DROP CONSTRAINT IF EXISTS chunks_document_id_fkey",
            ] { try await execute(s) }

            var t0 = Date()
            progress("copying documents")
            summary.documents = try await copy(table: "documents", columns: ["id", "path", "size", "mtime", "hash", "type", "title", "indexed_at"],
                                               from: db, sql: "SELECT id, path, size, mtime, hash, type, title, indexed_at FROM documents") { s, line in
                line.field(s.int(0)); line.field(text: s, 1); line.field(s.int(2)); line.field(s.double(3))
                line.field(text: s, 4); line.field(text: s, 5); line.field(text: s, 6); line.field(s.double(7), last: true)
            }
            progress("copying chunks and vectors")
            summary.chunks = try await copy(
                table: "chunks",
                columns: ["id", "document_id", "ordinal", "text", "line_start", "line_end", "token_count", "text_hash", "lex_length", "embedding"],
                from: db, sql: """
                    SELECT c.id, c.document_id, c.ordinal, c.text, c.line_start, c.line_end, c.token_count, c.text_hash, c.lex_length, v.vector
                    FROM chunks c JOIN vectors v ON v.chunk_id = c.id
                    """
            ) { s, line in
                line.field(s.int(0)); line.field(s.int(1)); line.field(s.int(2)); line.field(text: s, 3); line.field(s.int(4))
                line.field(s.int(5)); line.field(s.int(6)); line.field(text: s, 7); line.field(s.int(8))
                s.withBlob(9) { line.vector($0.bindMemory(to: Float.self)) }
            }
            progress("copying postings")
            // Postings of a chunk without a vector (damaged in the SQLite index) stay behind with it.
            summary.postings = try await copy(table: "postings", columns: ["term", "chunk_id", "tf"], from: db, sql: """
                SELECT p.term, p.chunk_id, p.tf FROM postings p WHERE EXISTS (SELECT 1 FROM vectors v WHERE v.chunk_id = p.chunk_id)
                """) { s, line in
                line.field(text: s, 0); line.field(s.int(1)); line.field(s.int(2), last: true)
            }
            summary.copy_s = Date().timeIntervalSince(t0)

            t0 = Date()
            for (what, s) in [
                ("chunk keys", "ALTER TABLE chunks ADD CONSTRAINT chunks_document_id_fkey FOREIGN KEY (document_id) REFERENCES documents (id) ON DELETE CASCADE"),
                ("chunks by document", "CREATE INDEX chunks_document ON chunks (document_id)"),
                ("postings' primary key", "ALTER TABLE postings ADD PRIMARY KEY (term, chunk_id)"),
                ("postings by chunk", "CREATE INDEX postings_chunk ON postings (chunk_id)"),
                ("postings' keys", "ALTER TABLE postings ADD CONSTRAINT postings_chunk_id_fkey FOREIGN KEY (chunk_id) REFERENCES chunks (id) ON DELETE CASCADE"),
                ("the full-text index", "CREATE INDEX chunks_tsv ON chunks USING gin (tsv)"),
            ] {
                progress("building \(what)")
                try await execute(s)
            }
            try await execute("SELECT setval(pg_get_serial_sequence('documents', 'id'), greatest((SELECT max(id) FROM documents), 1))")
            try await execute("SELECT setval(pg_get_serial_sequence('chunks', 'id'), greatest((SELECT max(id) FROM chunks), 1))")
            summary.indexes_s = Date().timeIntervalSince(t0)

            t0 = Date()
            progress("building the HNSW index of \(summary.chunks) vectors")
            try await execute("CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_cosine_ops)")
            summary.hnsw_s = Date().timeIntervalSince(t0)
            for root in stats.roots { try await addRoot(root) }
        }
        // The visibility map and statistics autovacuum would otherwise build while the first searches run.
        progress("vacuuming and analyzing")
        let vacuumStarted = Date()
        try await execute("VACUUM (ANALYZE) documents, chunks, postings")
        summary.vacuum_s = Date().timeIntervalSince(vacuumStarted)
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// Streams the rows of a SQLite query into a table with COPY (text format), a megabyte at a time; the row count.
    func copy(table: String, columns: [String], from db: Database, sql: String,
              row: (Statement, inout CopyLine) -> Void) async throws -> Int {
        let statement = try db.statement(sql)
        defer { statement.reset() }
        var count = 0
        do {
            try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
                var line = CopyLine()
                while try statement.step() {
                    row(statement, &line)
                    count += 1
                    if line.buffer.readableBytes >= 1 << 20 {
                        try await writer.write(line.buffer)
                        line.buffer.clear()
                    }
                }
                if line.buffer.readableBytes > 0 { try await writer.write(line.buffer) }
            }
        } catch let e as PostgresStoreError {
            throw e
        } catch {
            throw PostgresStoreError.query(PostgresStoreError.describe(error))
        }
        return count
    }
}

/// Rows in COPY's text format: tab-separated fields, one row a line, backslash escapes.
struct CopyLine {
    var buffer = ByteBufferAllocator().buffer(capacity: 1 << 21)

    mutating func end(_ last: Bool) { buffer.writeInteger(last ? UInt8(ascii: "\n") : UInt8(ascii: "\t")) }

    mutating func field(_ x: Int64, last: Bool = false) {
        buffer.writeString(String(x))
        end(last)
    }

    mutating func field(_ x: Double, last: Bool = false) {
        buffer.writeString("\(x)")
        end(last)
    }

    /// A TEXT column of the SQLite row, escaped.
    mutating func field(text s: Statement, _ column: Int32, last: Bool = false) {
        s.withTextBytes(column) { bytes in
            for b in bytes {
                switch b {
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
                case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
                case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
                default: buffer.writeInteger(b)
                }
            }
        }
        end(last)
    }

    /// A vector as pgvector's text form, `[x,y,…]`; the row's last field.
    mutating func vector(_ v: UnsafeBufferPointer<Float>) {
        buffer.writeInteger(UInt8(ascii: "["))
        for (i, x) in v.enumerated() {
            if i > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            buffer.writeString(x.description)
        }
        buffer.writeInteger(UInt8(ascii: "]"))
        end(true)
    }
}
