import EngramEmbedding
import EngramEngine
import EngramStore
import Foundation

/// How a search uses the user's short-term memory: `engram search --profile`, `--no-memory`,
/// `--incognito`, `--explain`, `--at`.
public struct MemoryUse: Sendable {
    public var profile: String
    /// Re-rank with the profile's memory (false: `--no-memory`).
    public var read: Bool
    /// Record the search in the profile (false: `--no-memory`, `--incognito`).
    public var record: Bool
    /// Also rank without memory, to say per result what memory did (`--explain`, `--json`).
    public var explain: Bool
    /// When the search happens (`--at`, for replays); nil: now.
    public var at: Date?

    public init(profile: String = "default", read: Bool = true, record: Bool = true, explain: Bool = false, at: Date? = nil) {
        (self.profile, self.read, self.record, self.explain, self.at) = (profile, read, record, explain, at)
    }
}

/// A search's outcome: the ranked hits and, when memory took part, what it did.
public struct SearchOutcome: Sendable {
    public var response: SearchResponse
    public var memory: MemoryResult?
    public var profile: String
    public var config: MemoryConfig

    public init(response: SearchResponse, memory: MemoryResult?, profile: String, config: MemoryConfig) {
        (self.response, self.memory, self.profile, self.config) = (response, memory, profile, config)
    }

    /// `engram search --json`'s object.
    public var output: SearchOutput { SearchOutput(response, memory: memory, profile: profile, config: config) }
}

/// Where a search keeps the user's memory: the memory file and its settings. Memory is never kept in the
/// index itself, so a shared index (or a read-only replica of it) gives each user a memory of their own.
public struct MemoryFile: Sendable {
    public var path: String
    public var config: MemoryConfig

    public init(path: String, config: MemoryConfig) { (self.path, self.config) = (path, config) }

    /// The user's own: `$ENGRAM_HOME/memory.sqlite`, set by `$ENGRAM_HOME/config.json` and the environment.
    public static func user() throws -> MemoryFile {
        let home = ModelStore.home()
        return MemoryFile(path: MemoryStore.defaultPath(home: home), config: try MemoryConfig.load(home: home))
    }
}

/// The memory steps of a search, the same for `engram search` on the SQLite index and for every store
/// of `engram-pg`: read the profile, re-rank with it (`rank`, the store's own pipeline), record the search.
/// Best-effort: a memory file that cannot be opened, read or written costs one warning line, never the search.
public enum MemorySearch {
    public static func run(
        _ text: String, use: MemoryUse, config: MemoryConfig, memoryPath: String, encoder: SentenceEncoder, notice: (String) -> Void,
        session open: () async throws -> MemorySession,
        rank: (_ entries: [MemoryStore.Entry], _ searches: Int, _ now: Double, _ vector: [Float]) async throws -> MemoryResult,
        plain: (_ vector: [Float]?) async throws -> SearchResponse
    ) async throws -> SearchOutcome {
        let now = (use.at ?? Date()).timeIntervalSince1970
        var session: MemorySession?
        do { session = try await open() } catch {
            if use.read { notice("memory unavailable (\(memoryPath): \(error)); searching without it") }
        }
        var memory: MemoryResult?
        let response: SearchResponse
        if use.read, let session {
            let vector = encoder.encode(text)
            do {
                let state = try session.state()
                memory = try await rank(state.entries, state.searches, now, vector)
            } catch let error as StoreError where error.path == session.store.path {
                notice("memory unreadable (\(error)); searching without it")
            }
            if let m = memory { response = m.response } else { response = try await plain(vector) }
            if use.record {
                do { try session.record(text, vector: vector, hits: response.hits, now: now) } catch {
                    notice("this search was not remembered: \(error)")
                }
            }
        } else {
            response = try await plain(nil)
        }
        // `engram open` refers to the last search that printed results, remembered or not.
        if (!use.read || !use.record) && !response.hits.isEmpty { try? session?.keepResults(response.hits) }
        return SearchOutcome(response: response, memory: memory, profile: use.profile, config: config)
    }

    /// Records that a result of the profile's last search was opened, its passage read by `passage`
    /// (text and vector); a result of a search that was not remembered is found, not recorded.
    public static func open(_ target: String, session: MemorySession, at: Date?,
                     passage: (Int64) async throws -> (text: String, vector: [Float])?) async throws -> MemorySession.LastResult {
        let (chosen, remembered) = try session.lastResult(target)
        guard remembered else { return chosen }
        guard let p = try await passage(chosen.chunk_id) else { throw MemoryError.resultGone(path: chosen.path) }
        try session.recordOpen(chosen, text: p.text, vector: p.vector, now: (at ?? Date()).timeIntervalSince1970)
        return chosen
    }

    /// A profile's listing, its entries judged against `query` when one is given (`statistics`: what the
    /// index shows for the query's embedding).
    public static func show(session: MemorySession, query: String?, at: Date?, encoder: SentenceEncoder,
                     statistics: ([Float]) async throws -> QueryStatistics) async throws -> ShownMemory {
        let config = session.config
        let (entries, searches, _) = try session.state()
        let now = (at ?? Date()).timeIntervalSince1970
        var judged: [WeightedEntry] = []
        if let query {
            let q = encoder.encode(query)
            judged = MemoryModel.weigh(entries, query: q, statistics: config.needsStatistics ? try await statistics(q) : nil,
                                       now: now, searches: searches, config: config)
        }
        return ShownMemory(profile: session.profile, entries: entries, searches: searches, query: query, judged: judged, now: now, config: config)
    }
}
