import Foundation

/// A user's own short-term memory: one SQLite file (`$ENGRAM_HOME/memory.sqlite`) holding, per index and
/// profile, the recent searches and opened results, the profile's search count and its last result list.
///
/// It lives apart from the index so that searching never writes the index: many people can search one
/// shared index, each with a memory of their own. Every change is one `BEGIN IMMEDIATE` transaction that
/// reads what it updates inside it, so concurrent searches lose no entry and no count.
public final class MemoryStore {
    public let path: String
    let db: Database

    /// One remembered search or opened result.
    public struct Entry: Sendable, Equatable {
        public var id: Int64
        public var profile: String
        /// "query" or "open".
        public var kind: String
        public var text: String
        public var vector: [Float]
        /// Seconds since 1970.
        public var at: Double
        /// The profile's search count when it was recorded.
        public var sequence: Int
        /// The opened document's path (opens only).
        public var path: String?

        public init(id: Int64 = 0, profile: String, kind: String, text: String, vector: [Float], at: Double, sequence: Int, path: String? = nil) {
            (self.id, self.profile, self.kind, self.text, self.vector) = (id, profile, kind, text, vector)
            (self.at, self.sequence, self.path) = (at, sequence, path)
        }
    }

    /// A profile's counters: searches recorded so far, and the last search's text and results (JSON).
    public struct Profile: Sendable, Equatable {
        public var searches = 0
        public var lastQuery: String?
        public var lastResults: String?
        public init() {}
    }

    static let schema = """
        CREATE TABLE IF NOT EXISTS entries(
            id INTEGER PRIMARY KEY,
            index_key TEXT NOT NULL,       -- IndexIdentity.key
            profile TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            vector BLOB NOT NULL,
            at REAL NOT NULL,
            sequence INTEGER NOT NULL,
            path TEXT
        );
        CREATE INDEX IF NOT EXISTS entries_profile ON entries(index_key, profile, at);
        CREATE TABLE IF NOT EXISTS profiles(
            index_key TEXT NOT NULL,
            profile TEXT NOT NULL,
            searches INTEGER NOT NULL,
            last_query TEXT,
            last_results TEXT,
            PRIMARY KEY(index_key, profile)
        );
        -- Indexes whose memory from an earlier engram (kept inside the index) was moved here.
        CREATE TABLE IF NOT EXISTS imports(index_key TEXT PRIMARY KEY, entries INTEGER NOT NULL, at REAL NOT NULL);
        PRAGMA user_version = 1;
        """

    /// `$ENGRAM_HOME/memory.sqlite`.
    public static func defaultPath(home: URL) -> String { home.appendingPathComponent("memory.sqlite").path }

    /// Opens (creating when needed) the memory file at `path`.
    public init(path: String) throws {
        self.path = path
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
            let reason = posix.map { String(cString: strerror(Int32($0.code))) } ?? "\(error)"
            throw StoreError.cannotOpen(path: path, message: "cannot create \(folder): \(reason)")
        }
        db = try Database(path: path)
        // Switching a new file to WAL needs it to itself: when several first searches open it at once,
        // SQLite answers "locked" without waiting (its busy handler would deadlock there), so it is retried.
        var attempt = 0
        while true {
            do {
                try db.execute("PRAGMA journal_mode=WAL")
                break
            } catch where attempt < 100 && (try? db.scalarText("PRAGMA journal_mode")) != "wal" {
                attempt += 1
                usleep(10_000)
            } catch where (try? db.scalarText("PRAGMA journal_mode")) == "wal" {
                break
            }
        }
        try db.execute("PRAGMA synchronous=NORMAL")
        if try db.scalarInt("PRAGMA user_version") == 0 {
            // Two processes may create the file at once: the schema is idempotent and runs under the write lock.
            try db.transaction { try db.execute(Self.schema) }
        }
    }

    /// The entries (oldest first) and counters of a profile on an index.
    public func state(index: IndexIdentity, profile: String) throws -> (entries: [Entry], profile: Profile) {
        try db.transaction(immediate: false) {
            let key = try resolvedKey(index)
            return (try entries(key, profile), try counters(key, profile))
        }
    }

    /// Records a search: the entry (numbered with the count read inside the transaction), the count plus
    /// one, the result list for `engram open`, then evicts what `evict` names among the profile's entries.
    @discardableResult
    public func recordSearch(
        index: IndexIdentity, profile: String, text: String, vector: [Float], at: Double, lastResults: String,
        evict: ([Entry], _ searches: Int) -> [Int64]
    ) throws -> Int {
        try db.transaction {
            let key = try adopt(index)
            var p = try counters(key, profile)
            try insert(key, Entry(profile: profile, kind: "query", text: text, vector: vector, at: at, sequence: p.searches))
            p.searches += 1
            p.lastQuery = text
            p.lastResults = lastResults
            try setCounters(key, profile, p)
            for id in evict(try entries(key, profile), p.searches) { try db.run("DELETE FROM entries WHERE id = ?", [.int(id)]) }
            return p.searches
        }
    }

    /// Keeps a search's result list for `engram open` without remembering the search (a search made
    /// with `--no-memory` or `--incognito`).
    public func setLastResults(index: IndexIdentity, profile: String, lastResults: String) throws {
        try db.transaction {
            let key = try adopt(index)
            var p = try counters(key, profile)
            p.lastResults = lastResults
            try setCounters(key, profile, p)
        }
    }

    /// Records that a result of the last search was opened (it counts as part of that search).
    public func recordOpen(index: IndexIdentity, profile: String, text: String, vector: [Float], at: Double, path: String) throws {
        try db.transaction {
            let key = try adopt(index)
            let searches = try counters(key, profile).searches
            try insert(key, Entry(profile: profile, kind: "open", text: text, vector: vector, at: at, sequence: max(0, searches - 1), path: path))
        }
    }

    /// Forgets a profile on an index; returns how many entries went.
    public func clear(index: IndexIdentity, profile: String) throws -> Int {
        try db.transaction {
            let key = try adopt(index)
            try db.run("DELETE FROM entries WHERE index_key = ? AND profile = ?", [.text(key), .text(profile)])
            let n = db.changes
            try db.run("DELETE FROM profiles WHERE index_key = ? AND profile = ?", [.text(key), .text(profile)])
            return n
        }
    }

    /// Moves memory that an earlier engram kept inside the index into this store, once per index;
    /// returns how many entries came (0 when they came before, or there were none).
    public func importLegacy(index: IndexIdentity, entries legacy: [Entry], profiles: [String: Profile]) throws -> Int {
        guard !legacy.isEmpty || !profiles.isEmpty else { return 0 }
        return try db.transaction {
            let key = try adopt(index)
            guard try db.scalarInt("SELECT 1 FROM imports WHERE index_key = ?", [.text(key)]) == nil else { return 0 }
            for e in legacy { try insert(key, e) }
            for (name, p) in profiles {
                var merged = try counters(key, name)
                merged.searches += p.searches
                merged.lastQuery = merged.lastQuery ?? p.lastQuery
                merged.lastResults = merged.lastResults ?? p.lastResults
                try setCounters(key, name, merged)
            }
            try db.run("INSERT INTO imports(index_key, entries, at) VALUES (?, ?, ?)",
                       [.text(key), .int(Int64(legacy.count)), .double(Date().timeIntervalSince1970)])
            return legacy.count
        }
    }

    // MARK: Rows

    /// The key to read under: the index's id, or its path while memory recorded under the path was not yet adopted.
    private func resolvedKey(_ index: IndexIdentity) throws -> String {
        guard index.id != nil else { return index.pathKey }
        let underPath = try db.scalarInt("SELECT 1 FROM profiles WHERE index_key = ? LIMIT 1", [.text(index.pathKey)]) != nil
        let underID = try db.scalarInt("SELECT 1 FROM profiles WHERE index_key = ? LIMIT 1", [.text(index.key)]) != nil
        return underPath && !underID ? index.pathKey : index.key
    }

    /// Inside a write: memory recorded while the index had no id follows it to its id.
    private func adopt(_ index: IndexIdentity) throws -> String {
        let key = try resolvedKey(index)
        guard key != index.key else { return key }
        for table in ["entries", "profiles", "imports"] {
            try db.run("UPDATE \(table) SET index_key = ? WHERE index_key = ?", [.text(index.key), .text(key)])
        }
        return index.key
    }

    private func entries(_ key: String, _ profile: String) throws -> [Entry] {
        let s = try db.statement("""
            SELECT id, profile, kind, text, vector, at, sequence, path FROM entries
            WHERE index_key = ? AND profile = ? ORDER BY at, id
            """)
        defer { s.reset() }
        try s.bind([.text(key), .text(profile)])
        var out: [Entry] = []
        while try s.step() {
            out.append(Entry(id: s.int(0), profile: s.text(1), kind: s.text(2), text: s.text(3),
                             vector: s.withBlob(4) { Array($0.bindMemory(to: Float.self)) }, at: s.double(5),
                             sequence: Int(s.int(6)), path: s.isNull(7) ? nil : s.text(7)))
        }
        return out
    }

    private func insert(_ key: String, _ e: Entry) throws {
        try db.run("INSERT INTO entries(index_key, profile, kind, text, vector, at, sequence, path) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   [.text(key), .text(e.profile), .text(e.kind), .text(e.text), .blob(e.vector.withUnsafeBytes { Data($0) }),
                    .double(e.at), .int(Int64(e.sequence)), e.path.map { .text($0) } ?? .null])
    }

    private func counters(_ key: String, _ profile: String) throws -> Profile {
        let s = try db.statement("SELECT searches, last_query, last_results FROM profiles WHERE index_key = ? AND profile = ?")
        defer { s.reset() }
        try s.bind([.text(key), .text(profile)])
        var p = Profile()
        guard try s.step() else { return p }
        p.searches = Int(s.int(0))
        p.lastQuery = s.isNull(1) ? nil : s.text(1)
        p.lastResults = s.isNull(2) ? nil : s.text(2)
        return p
    }

    private func setCounters(_ key: String, _ profile: String, _ p: Profile) throws {
        try db.run("""
            INSERT INTO profiles(index_key, profile, searches, last_query, last_results) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(index_key, profile) DO UPDATE SET searches = excluded.searches, last_query = excluded.last_query,
                last_results = excluded.last_results
            """, [.text(key), .text(profile), .int(Int64(p.searches)), p.lastQuery.map { .text($0) } ?? .null,
                  p.lastResults.map { .text($0) } ?? .null])
    }
}
