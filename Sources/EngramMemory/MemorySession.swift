import EngramEmbedding
import EngramEngine
import EngramStore
import Foundation

/// One user's memory on one index: read the profile's entries, re-rank a search with them, record it
/// (best-effort, in the user's own `MemoryStore`), and record opened results.
public final class MemorySession {
    /// The SQLite index, where `open` reads an opened passage; nil for another store (which reads it itself
    /// and calls `recordOpen`).
    public let index: IndexStore?
    public let identity: IndexIdentity
    /// The index's path (or a server store's URL), for reports and messages.
    public let indexName: String
    public let profile: String
    public let config: MemoryConfig
    public let store: MemoryStore

    /// A result of the last search, as `engram open` finds it.
    public struct LastResult: Codable, Sendable {
        public let rank: Int
        public let path: String
        public let line: Int
        public let chunk_id: Int64

        /// What `open` prints for it: `PATH:LINE`, the path alone (`pathOnly`), or an editor's `+LINE PATH`.
        /// The path is escaped on a terminal and raw when captured, as an editor needs it.
        public func text(editorArgs: Bool, pathOnly: Bool) -> String {
            let shown = isatty(STDOUT_FILENO) == 1 ? TextStyle.safe(path) : path
            return editorArgs ? "+\(line) \(shown)" : pathOnly ? shown : "\(shown):\(line)"
        }
    }

    /// The last search's results, and whether that search was remembered (opening one of its results
    /// is remembered only if it was). A remembered search's list is stored as a bare array.
    struct LastSearch: Codable {
        var remembered: Bool
        var results: [LastResult]

        static func decode(_ json: String?) -> LastSearch {
            guard let data = json.map({ Data($0.utf8) }) else { return LastSearch(remembered: true, results: []) }
            if let results = try? JSONDecoder().decode([LastResult].self, from: data) { return LastSearch(remembered: true, results: results) }
            return (try? JSONDecoder().decode(LastSearch.self, from: data)) ?? LastSearch(remembered: true, results: [])
        }

        static func encode(_ hits: [SearchHit], remembered: Bool) throws -> String {
            let results = hits.map { LastResult(rank: $0.rank, path: $0.path, line: $0.line, chunk_id: $0.chunkID) }
            let data = remembered ? try JSONEncoder().encode(results) : try JSONEncoder().encode(LastSearch(remembered: false, results: results))
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// Opens the user's memory file at `memoryPath` for `index`. Memory that an earlier engram kept inside
    /// the index moves to the user's file here, once; `notice` says so.
    public init(index: IndexStore, memoryPath: String, profile: String, config: MemoryConfig, notice: (String) -> Void = { _ in }) throws {
        self.index = index
        self.profile = profile
        self.config = config
        identity = try index.identity()
        indexName = index.path
        store = try MemoryStore(path: memoryPath)
        try adopt(index.legacyMemory(), notice: notice)
    }

    /// Opens the user's memory file for an index of another store, known by its stable `identity` (the
    /// same on every replica of it), and named `indexName` in reports.
    public init(identity: IndexIdentity, indexName: String, memoryPath: String, profile: String, config: MemoryConfig) throws {
        index = nil
        self.identity = identity
        self.indexName = indexName
        self.profile = profile
        self.config = config
        store = try MemoryStore(path: memoryPath)
    }

    /// Moves memory taken out of an index (by a reader, or by a writer's migration) into the user's file.
    public func adopt(_ legacy: LegacyMemory, notice: (String) -> Void) throws {
        guard !legacy.isEmpty else { return }
        let n = try store.importLegacy(index: identity, entries: legacy.entries, profiles: legacy.profiles)
        if n > 0 {
            notice("moved \(n) memory entr\(n == 1 ? "y" : "ies") recorded inside \(indexName) to \(store.path): memory is now kept per user")
        }
    }

    /// The profile's entries (oldest first) and search count.
    public func state() throws -> (entries: [MemoryStore.Entry], searches: Int, lastResults: [LastResult]) {
        let s = try store.state(index: identity, profile: profile)
        return (s.entries, s.profile.searches, LastSearch.decode(s.profile.lastResults).results)
    }

    /// Records a search and its results (for `engram open`), evicting past capacity, in one transaction.
    public func record(_ text: String, vector: [Float], hits: [SearchHit], now: Double) throws {
        let json = try LastSearch.encode(hits, remembered: true)
        try store.recordSearch(index: identity, profile: profile, text: text, vector: vector, at: now, lastResults: json) { all, searches in
            MemoryModel.evictions(all, now: now, searches: searches, config: config)
        }
    }

    /// Keeps the results of a search that is not remembered, so `engram open` still finds them.
    public func keepResults(_ hits: [SearchHit]) throws {
        try store.setLastResults(index: identity, profile: profile, lastResults: try LastSearch.encode(hits, remembered: false))
    }

    /// Finds a result of the last search (`target` is a rank or a path) and, if that search was
    /// remembered, records that it was opened (its passage read from the SQLite index; a session on
    /// another store reads the passage itself and calls `recordOpen`).
    public func open(_ target: String, now: Double) throws -> LastResult {
        let (chosen, remembered) = try lastResult(target)
        guard remembered, let index else { return chosen }
        let passage = try index.read { (try index.chunk(id: chosen.chunk_id), try index.vector(chunkID: chosen.chunk_id)) }
        guard let chunk = passage.0, let vector = passage.1 else { throw MemoryError.resultGone(path: chosen.path) }
        try recordOpen(chosen, text: chunk.text, vector: vector, now: now)
        return chosen
    }

    /// Records that `result` of the last search was opened: its passage's text and vector.
    public func recordOpen(_ result: LastResult, text: String, vector: [Float], now: Double) throws {
        try store.recordOpen(index: identity, profile: profile, text: text, vector: vector, at: now, path: result.path)
    }

    /// A result of the last search (`target` is a rank or a path), and whether that search was remembered
    /// (only then is opening it remembered).
    public func lastResult(_ target: String) throws -> (result: LastResult, remembered: Bool) {
        let last = LastSearch.decode(try store.state(index: identity, profile: profile).profile.lastResults)
        let results = last.results
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
        return (chosen, last.remembered)
    }

    /// Forgets the profile on this index; returns how many entries went.
    public func clear() throws -> Int { try store.clear(index: identity, profile: profile) }
}
