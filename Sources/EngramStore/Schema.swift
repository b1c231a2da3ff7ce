import Foundation

/// The index schema, versioned with `PRAGMA user_version`. Each migration takes the schema from
/// version `index` to `index + 1`; a new file runs them all.
enum Schema {
    static let migrations: [String] = [
        // 0 → 1
        """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE documents(
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            size INTEGER NOT NULL,
            mtime REAL NOT NULL,
            hash TEXT NOT NULL,
            type TEXT NOT NULL,
            title TEXT NOT NULL,
            indexed_at REAL NOT NULL
        );
        CREATE INDEX documents_hash ON documents(hash);
        CREATE TABLE chunks(
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            text TEXT NOT NULL,
            line_start INTEGER NOT NULL,
            line_end INTEGER NOT NULL,
            token_count INTEGER NOT NULL,
            text_hash TEXT NOT NULL,
            lex_length INTEGER NOT NULL
        );
        CREATE INDEX chunks_document ON chunks(document_id, ordinal);
        CREATE TABLE vectors(
            chunk_id INTEGER PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
            vector BLOB NOT NULL
        );
        -- Lexical postings for Engram's own BM25 (stemmed, stopwords dropped; see LexicalAnalyzer).
        CREATE TABLE postings(
            term TEXT NOT NULL,
            chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
            tf INTEGER NOT NULL,
            PRIMARY KEY(term, chunk_id)
        ) WITHOUT ROWID;
        CREATE INDEX postings_chunk ON postings(chunk_id);
        -- SQLite's own full-text index over the same chunks (bm25(), MATCH syntax).
        CREATE VIRTUAL TABLE chunks_fts USING fts5(text, content='chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2');
        CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
            INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
        END;
        CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
        END;
        CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text ON chunks BEGIN
            INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
            INSERT INTO chunks_fts(rowid, text) VALUES (new.id, new.text);
        END;
        INSERT INTO meta(key, value) VALUES ('format', 'engram-index');
        """,
        // 1 → 2: short-term memory, per profile.
        """
        CREATE TABLE memory_entries(
            id INTEGER PRIMARY KEY,
            profile TEXT NOT NULL,
            kind TEXT NOT NULL,            -- 'query' or 'open'
            text TEXT NOT NULL,
            vector BLOB NOT NULL,
            at REAL NOT NULL,              -- seconds since 1970
            sequence INTEGER NOT NULL,     -- the profile's search count when recorded
            path TEXT
        );
        CREATE INDEX memory_entries_profile ON memory_entries(profile, at);
        CREATE TABLE memory_profiles(
            profile TEXT PRIMARY KEY,
            searches INTEGER NOT NULL,     -- searches recorded so far
            last_query TEXT,
            last_results TEXT              -- JSON: the last search's ranked paths, lines and chunk ids
        );
        """,
        // 2 → 3: memory belongs to each user (MemoryStore), not to the shared index; the index gets an id
        // (set in Swift) that memory is keyed by.
        """
        DROP TABLE memory_entries;
        DROP TABLE memory_profiles;
        """,
        // 3 → 4: the search segment beside the file (EngramSearchIndex) covers chunks up to meta
        // 'segment_covered'; chunks it covers that are deleted or whose vector changes are listed here,
        // so search reads them from this file instead. Chunk ids never go back below the covered one. (No
        // INSERT OR IGNORE: an outer upsert's conflict handling would override it.)
        """
        CREATE TABLE IF NOT EXISTS changed_chunks(chunk_id INTEGER PRIMARY KEY);
        CREATE TRIGGER IF NOT EXISTS chunks_changed_delete AFTER DELETE ON chunks
            WHEN old.id <= coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'segment_covered'), 0)
        BEGIN
            INSERT INTO changed_chunks(chunk_id) SELECT old.id WHERE NOT EXISTS (SELECT 1 FROM changed_chunks WHERE chunk_id = old.id);
        END;
        CREATE TRIGGER IF NOT EXISTS vectors_changed_insert AFTER INSERT ON vectors
            WHEN new.chunk_id <= coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'segment_covered'), 0)
        BEGIN
            INSERT INTO changed_chunks(chunk_id) SELECT new.chunk_id WHERE NOT EXISTS (SELECT 1 FROM changed_chunks WHERE chunk_id = new.chunk_id);
        END;
        CREATE TRIGGER IF NOT EXISTS vectors_changed_update AFTER UPDATE ON vectors
            WHEN new.chunk_id <= coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'segment_covered'), 0)
        BEGIN
            INSERT INTO changed_chunks(chunk_id) SELECT new.chunk_id WHERE NOT EXISTS (SELECT 1 FROM changed_chunks WHERE chunk_id = new.chunk_id);
        END;
        CREATE TRIGGER IF NOT EXISTS vectors_changed_delete AFTER DELETE ON vectors
            WHEN old.chunk_id <= coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'segment_covered'), 0)
        BEGIN
            INSERT INTO changed_chunks(chunk_id) SELECT old.chunk_id WHERE NOT EXISTS (SELECT 1 FROM changed_chunks WHERE chunk_id = old.chunk_id);
        END;
        """,
    ]

    static var version: Int { migrations.count }
}
