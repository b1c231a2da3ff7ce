import Foundation

/// Short-term memory that engram kept inside the index before schema 3 (tables `memory_entries` and
/// `memory_profiles`). It now belongs to each user's `MemoryStore`: a reader copies it from an index not
/// yet migrated; the writer's migration takes it out (`migratedMemory`) and drops the tables.
public struct LegacyMemory: Sendable {
    public var entries: [MemoryStore.Entry] = []
    public var profiles: [String: MemoryStore.Profile] = [:]
    public var isEmpty: Bool { entries.isEmpty && profiles.isEmpty }
}

extension IndexStore {
    /// The memory rows of an index written by an older engram (empty for a current one).
    public func legacyMemory() throws -> LegacyMemory {
        try read {
            var out = LegacyMemory()
            guard try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'memory_entries'") == 1 else { return out }
            let s = try db.statement("SELECT id, profile, kind, text, vector, at, sequence, path FROM memory_entries ORDER BY at, id")
            defer { s.reset() }
            while try s.step() {
                out.entries.append(MemoryStore.Entry(
                    id: s.int(0), profile: s.text(1), kind: s.text(2), text: s.text(3),
                    vector: s.withBlob(4) { Array($0.bindMemory(to: Float.self)) }, at: s.double(5),
                    sequence: Int(s.int(6)), path: s.isNull(7) ? nil : s.text(7)))
            }
            let p = try db.statement("SELECT profile, searches, last_query, last_results FROM memory_profiles")
            defer { p.reset() }
            while try p.step() {
                var profile = MemoryStore.Profile()
                profile.searches = Int(p.int(1))
                profile.lastQuery = p.isNull(2) ? nil : p.text(2)
                profile.lastResults = p.isNull(3) ? nil : p.text(3)
                out.profiles[p.text(0)] = profile
            }
            return out
        }
    }
}
