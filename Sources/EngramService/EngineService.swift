import EngramEmbedding
import EngramEngine
import EngramMemory
import EngramStore
import EngramText
import Foundation

/// The engine a long-lived server keeps loaded between requests: the model, one read-only connection
/// to the index with its vectors in memory, and each profile's memory session.
///
/// An actor, because `Searcher` and its SQLite connection are not thread-safe: requests take turns.
/// Reads see committed snapshots only; the writer (`index(paths:)`) runs on its own connection under
/// the index's writer lock, so searches go on while it works, on the state loaded before it began.
/// When it finishes the reader is reopened, so the next search sees what it wrote.
public actor EngineService {
    public nonisolated let indexPath: String
    public nonisolated let encoder: SentenceEncoder
    public let config: MemoryConfig
    let memoryPath: String
    let warn: @Sendable (String) -> Void
    private var reader: Searcher?
    /// The reader's `dataVersion()` when it loaded its data, and when that was.
    private var loaded: (version: Int64, at: Date) = (0, .distantPast)
    /// How stale the reader may get while another process (`engram index`) writes the index: it is
    /// reopened at the first request after a commit, but not more often than this, so a long indexing
    /// run's batches do not each cost a reload.
    public nonisolated let staleness: TimeInterval
    /// Per profile; nil when that profile's memory could not be opened (searches then go without it).
    private var sessions: [String: MemorySession?] = [:]

    /// Loads the model; the index is opened at the first request (it may not exist yet).
    public init(indexPath: String, modelFolder: URL, home: URL = ModelStore.home(), staleness: TimeInterval = 5,
                warn: @escaping @Sendable (String) -> Void) throws {
        self.indexPath = indexPath
        self.staleness = staleness
        encoder = try SentenceEncoder(folder: modelFolder)
        config = try MemoryConfig.load(home: home)
        memoryPath = MemoryStore.defaultPath(home: home)
        self.warn = warn
    }

    /// The reader, opened and warmed (vectors and documents in memory) on first use, and again once
    /// another process has committed to the index.
    func searcher() throws -> Searcher {
        if let reader {
            guard Date().timeIntervalSince(loaded.at) >= staleness, (try? reader.store.dataVersion()) != loaded.version else {
                return reader
            }
            self.reader = nil
        }
        guard FileManager.default.fileExists(atPath: indexPath) else { throw ServiceError.noIndex(path: indexPath) }
        let searcher = try Searcher(store: IndexStore(path: indexPath, access: .read), encoder: encoder)
        searcher.warn = warn
        let version = try searcher.store.dataVersion()
        _ = try searcher.store.read {
            try searcher.prepare()
        }
        loaded = (version, Date())
        reader = searcher
        sessions = [:]
        return searcher
    }

    /// Drops the reader and memory sessions, and opens the index again (when it exists), so the
    /// next search sees the latest committed state.
    public func reload() {
        reader = nil
        sessions = [:]
        do { _ = try searcher() } catch ServiceError.noIndex { } catch { warn("reopening \(indexPath): \(error)") }
    }

    /// Opens the index now, so the first request does not pay for it; an absent index is not an error.
    public func warmUp() throws {
        do { _ = try searcher() } catch ServiceError.noIndex { }
    }

    private func session(_ profile: String, store: IndexStore) -> MemorySession? {
        if let cached = sessions[profile] { return cached }
        let opened: MemorySession?
        do {
            opened = try MemorySession(index: store, memoryPath: memoryPath, profile: profile, config: config, notice: warn)
        } catch {
            warn("memory unavailable (\(memoryPath): \(error)); searching without it")
            opened = nil
        }
        sessions[profile] = .some(opened)
        return opened
    }

    /// One search through the ranking pipeline, re-ranked by the profile's memory and recorded in it
    /// (best-effort) exactly as `engram search` does.
    public nonisolated func search(_ query: ServiceQuery, now: Date = Date()) async throws -> ServiceSearch {
        // Embedding the query is most of a warm search and touches no shared state (the encoder is
        // thread-safe), so it happens before the request takes its turn on the reader: two requests
        // embed on two cores at once.
        let vector = query.options.mode == .lexical && !query.useMemory ? nil : encoder.encode(query.text)
        return try await rank(query, vector: vector, now: now)
    }

    private func rank(_ query: ServiceQuery, vector: [Float]?, now: Date) throws -> ServiceSearch {
        let searcher = try searcher()
        let text = query.text
        guard query.useMemory, let session = session(query.profile, store: searcher.store), let vector else {
            let response = try searcher.store.read { try searcher.search(SearchRequest(text, vector: vector, options: query.options)) }
            return ServiceSearch(response: response, memory: nil, profile: query.profile, config: config)
        }
        let seconds = now.timeIntervalSince1970
        var memory: MemoryResult?
        do {
            let state = try session.state()
            memory = try searcher.store.read {
                try MemoryRanker(searcher: searcher, config: config).search(
                    text, vector: vector, entries: state.entries, now: seconds, searches: state.searches,
                    options: query.options, explain: query.explain)
            }
        } catch let error as StoreError where error.path == session.store.path {
            warn("memory unreadable (\(error)); searching without it")
        }
        let response = try memory?.response
            ?? searcher.store.read { try searcher.search(SearchRequest(text, vector: vector, options: query.options)) }
        if query.record {
            do { try session.record(text, vector: vector, hits: response.hits, now: seconds) } catch {
                warn("this search was not remembered: \(error)")
            }
        }
        return ServiceSearch(response: response, memory: memory, profile: query.profile, config: config)
    }

    /// What the index holds now.
    public func status() throws -> IndexStore.Stats {
        try searcher().store.stats()
    }

    /// The text of an indexed document, as extracted for indexing, read from disk now; `lines` picks
    /// lines (1-based, inclusive) and `context` widens them on both sides. Paths the index does not
    /// hold are refused, so a client can read only what was indexed.
    public func document(path: String, lines: ClosedRange<Int>? = nil, context: Int = 0) throws -> DocumentText {
        guard context >= 0 else { throw ServiceError.invalid("context must be 0 or more (got \(context))") }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let store = try searcher().store
        guard let doc = try store.read({ try store.document(path: absolute) ?? store.document(path: path) }) else {
            throw ServiceError.notIndexed(path: path)
        }
        return try DocumentText.read(doc, lines: lines, context: context)
    }
}
