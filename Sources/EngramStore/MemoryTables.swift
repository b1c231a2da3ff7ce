import Foundation

/// Short-term memory rows of an index: entries (searches and opened results) and, per profile,
/// the search count and the last result list (so `engram open 2` knows what rank 2 was).
extension IndexStore {
    /// One remembered search or opened result.
    public struct MemoryRow: Sendable, Equatable {
        public var id: Int64
        public var profile: String
        public var kind: String
        public var text: String
        public var vector: [Float]
        public var at: Double
        public var sequence: Int
        public var path: String?

        public init(id: Int64 = 0, profile: String, kind: String, text: String, vector: [Float], at: Double, sequence: Int, path: String? = nil) {
            (self.id, self.profile, self.kind, self.text, self.vector) = (id, profile, kind, text, vector)
            (self.at, self.sequence, self.path) = (at, sequence, path)
        }
    }

    public func memoryEntries(profile: String) throws -> [MemoryRow] {
        let s = try db.statement("SELECT id, profile, kind, text, vector, at, sequence, path FROM memory_entries WHERE profile = ? ORDER BY at, id")
        try s.bind([.text(profile)])
        var out: [MemoryRow] = []
        while try s.step() {
            out.append(MemoryRow(id: s.int(0), profile: s.text(1), kind: s.text(2), text: s.text(3),
                                 vector: s.withBlob(4) { Array($0.bindMemory(to: Float.self)) }, at: s.double(5),
                                 sequence: Int(s.int(6)), path: s.isNull(7) ? nil : s.text(7)))
        }
        return out
    }

    @discardableResult
    public func insertMemory(_ m: MemoryRow) throws -> Int64 {
        try db.run("INSERT INTO memory_entries(profile, kind, text, vector, at, sequence, path) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   [.text(m.profile), .text(m.kind), .text(m.text), .blob(m.vector.withUnsafeBytes { Data($0) }), .double(m.at),
                    .int(Int64(m.sequence)), m.path.map { .text($0) } ?? .null])
        return db.lastInsertRowID
    }

    public func deleteMemory(ids: [Int64]) throws {
        for id in ids { try db.run("DELETE FROM memory_entries WHERE id = ?", [.int(id)]) }
    }

    /// Forgets a profile entirely; returns how many entries went.
    public func clearMemory(profile: String) throws -> Int {
        try db.run("DELETE FROM memory_entries WHERE profile = ?", [.text(profile)])
        let n = db.changes
        try db.run("DELETE FROM memory_profiles WHERE profile = ?", [.text(profile)])
        return n
    }

    /// (searches so far, last query, last results JSON) of a profile.
    public func memoryProfile(_ profile: String) throws -> (searches: Int, lastQuery: String?, lastResults: String?) {
        let s = try db.statement("SELECT searches, last_query, last_results FROM memory_profiles WHERE profile = ?")
        defer { s.reset() }
        try s.bind([.text(profile)])
        guard try s.step() else { return (0, nil, nil) }
        return (Int(s.int(0)), s.isNull(1) ? nil : s.text(1), s.isNull(2) ? nil : s.text(2))
    }

    public func setMemoryProfile(_ profile: String, searches: Int, lastQuery: String?, lastResults: String?) throws {
        try db.run("""
            INSERT INTO memory_profiles(profile, searches, last_query, last_results) VALUES (?, ?, ?, ?)
            ON CONFLICT(profile) DO UPDATE SET searches = excluded.searches, last_query = excluded.last_query,
                last_results = excluded.last_results
            """, [.text(profile), .int(Int64(searches)), lastQuery.map { .text($0) } ?? .null, lastResults.map { .text($0) } ?? .null])
    }
}
