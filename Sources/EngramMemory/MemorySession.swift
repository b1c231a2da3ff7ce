import EngramEmbedding
import EngramEngine
import EngramStore
import Foundation

/// One user's memory on one index: read the profile's entries, re-rank a search with them, record it
/// (best-effort, in the user's own `MemoryStore`), and record opened results.
public final class MemorySession {
    public let index: IndexStore
    public let identity: IndexIdentity
    public let profile: String
    public let config: MemoryConfig
    public let store: MemoryStore

    /// A result of the last search, as `engram open` finds it.
    public struct LastResult: Codable, Sendable {
        public let rank: Int
        public let path: String
        public let line: Int
        public let chunk_id: Int64
    }

    /// Opens the user's memory file at `memoryPath` for `index`. Memory that an earlier engram kept inside
    /// the index moves to the user's file here, once; `notice` says so.
    public init(index: IndexStore, memoryPath: String, profile: String, config: MemoryConfig, notice: (String) -> Void = { _ in }) throws {
        self.index = index
        self.profile = profile
        self.config = config
        identity = try index.identity()
        store = try MemoryStore(path: memoryPath)
        try adopt(index.legacyMemory(), notice: notice)
    }

    /// Moves memory taken out of an index (by a reader, or by a writer's migration) into the user's file.
    public func adopt(_ legacy: LegacyMemory, notice: (String) -> Void) throws {
        guard !legacy.isEmpty else { return }
        let n = try store.importLegacy(index: identity, entries: legacy.entries, profiles: legacy.profiles)
        if n > 0 {
            notice("moved \(n) memory entr\(n == 1 ? "y" : "ies") recorded inside \(index.path) to \(store.path): memory is now kept per user")
        }
    }

    /// The profile's entries (oldest first) and search count.
    public func state() throws -> (entries: [MemoryStore.Entry], searches: Int, lastResults: [LastResult]) {
        let s = try store.state(index: identity, profile: profile)
        let last = s.profile.lastResults.flatMap { try? JSONDecoder().decode([LastResult].self, from: Data($0.utf8)) } ?? []
        return (s.entries, s.profile.searches, last)
    }

    /// Records a search and its results (for `engram open`), evicting past capacity, in one transaction.
    public func record(_ text: String, vector: [Float], hits: [SearchHit], now: Double) throws {
        let last = hits.map { LastResult(rank: $0.rank, path: $0.path, line: $0.line, chunk_id: $0.chunkID) }
        let json = String(decoding: try JSONEncoder().encode(last), as: UTF8.self)
        try store.recordSearch(index: identity, profile: profile, text: text, vector: vector, at: now, lastResults: json) { all, searches in
            MemoryModel.evictions(all, now: now, searches: searches, config: config)
        }
    }

    /// Records that a result of the last search was opened; returns it. `target` is a rank or a path.
    public func open(_ target: String, now: Double) throws -> LastResult {
        let results = try state().lastResults
        guard !results.isEmpty else { throw MemoryError.noLastSearch(profile: profile) }
        let chosen: LastResult
        if let rank = Int(target) {
            guard let r = results.first(where: { $0.rank == rank }) else { throw MemoryError.noSuchResult(rank: rank, count: results.count) }
            chosen = r
        } else {
            let absolute = URL(fileURLWithPath: target).standardizedFileURL.path
            guard let r = results.first(where: { $0.path == absolute || $0.path == target || $0.path.hasSuffix("/" + target) }) else {
                throw MemoryError.notInLastSearch(path: target)
            }
            chosen = r
        }
        let passage = try index.read { (try index.chunk(id: chosen.chunk_id), try index.vector(chunkID: chosen.chunk_id)) }
        guard let chunk = passage.0, let vector = passage.1 else { throw MemoryError.resultGone(path: chosen.path) }
        try store.recordOpen(index: identity, profile: profile, text: chunk.text, vector: vector, at: now, path: chosen.path)
        return chosen
    }

    /// Forgets the profile on this index; returns how many entries went.
    public func clear() throws -> Int { try store.clear(index: identity, profile: profile) }
}
