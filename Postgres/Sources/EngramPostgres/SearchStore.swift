import EngramEmbedding
import EngramEngine
import EngramMemory
import EngramReports
import EngramStore
import EngramText
import Foundation

/// What a command does with an index, whichever store holds it: the SQLite file (`--index PATH`) or a
/// PostgreSQL database (`--store postgresql://…`). The contract suite runs the same scenarios through it
/// against both. A store object serves one task at a time; open one per concurrent user, as processes do.
public protocol SearchStore: AnyObject, Sendable {
    /// Indexes a folder (or file) incrementally; the store's writer lock is held for the call.
    func index(folder: String, walker: Walker, warn: @escaping (IndexWarning) -> Void) async throws -> IndexSummary
    /// Drops the documents at or under `path`; how many.
    func remove(under path: String) async throws -> Int
    /// A search; with `memory`, re-ranked by the user's memory of this index and recorded in it, as
    /// `engram search` does (nil: memory is neither read nor written).
    func search(_ query: String, options: SearchOptions, memory: MemoryUse?) async throws -> SearchOutcome
    /// The user's memory of a profile on this index (in `memoryFile`, never in the store).
    func memorySession(profile: String) async throws -> MemorySession
    /// Records that a result of the profile's last search was opened (`engram open`); that result.
    func open(_ target: String, profile: String, at: Date?) async throws -> MemorySession.LastResult
    /// A profile's entries with their weights, judged against `query` when given (`engram memory show`).
    func showMemory(profile: String, query: String?, at: Date?) async throws -> ShownMemory
    /// How memory reshaped `queries` (none: the profile's recent searches), `engram report`; records nothing.
    func report(queries: [String], profile: String, n: Int, at: Date?) async throws -> Report
    /// The user's memory file and settings (nil: `MemoryFile.user()`, read at first use).
    var memoryFile: MemoryFile? { get set }
    func status() async throws -> StoreStatus
    /// Runs `body` while holding the store's writer lock (as an index run does).
    func holdingWriter<T>(_ body: () async throws -> T) async throws -> T
    /// Whether a writer waits for another (true) or fails at once.
    var waitForWriter: Bool { get set }
    func close() async
}

extension SearchStore {
    /// A search without memory.
    public func search(_ query: String, options: SearchOptions) async throws -> SearchResponse {
        try await search(query, options: options, memory: nil).response
    }
}

/// `engram status` for either store.
public struct StoreStatus: Sendable, Encodable {
    public var store: String
    public var documents: Int
    public var chunks: Int
    public var model: String?
    public var dimension: Int?
    public var precision: String?
    public var bytes: Int64
    public var lastIndexed: Double?
    public var roots: [String]
    public var schemaVersion: Int?

    enum CodingKeys: String, CodingKey {
        case store, documents, chunks, model, dimension, precision, bytes, roots
        case lastIndexed = "last_indexed"
        case schemaVersion = "schema_version"
    }
}

/// Opens the store a location names: a `postgresql://` URL, else a SQLite index file.
public enum SearchStores {
    public static func open(_ location: String, encoder: SentenceEncoder) async throws -> any SearchStore {
        if PostgresLocation.isURL(location) {
            return try await PostgresSearchStore(url: location, encoder: encoder)
        }
        if location.contains("://") { throw PostgresStoreError.badURL(location) }
        return SQLiteSearchStore(path: location, encoder: encoder)
    }
}

/// The PostgreSQL store behind `SearchStore`: one connection for searches and status, and one more, holding
/// the writer lock, for each index or remove call.
public final class PostgresSearchStore: SearchStore, @unchecked Sendable {
    public let url: String
    public let encoder: SentenceEncoder
    /// Whether a writer waits for another (true) or fails at once.
    public var waitForWriter = true
    public var notice: (String) -> Void = { _ in }
    public var scan: SemanticScan = .auto(threshold: 50_000)
    /// Where searches and status read, when not `url`: a streaming replica. Writers always use `url`.
    public var readURL: String?
    /// Sessions opened before a change of file are dropped with it.
    public var memoryFile: MemoryFile? { didSet { sessions = [:] } }
    private var reader: PostgresStore?
    private var sessions: [String: MemorySession] = [:]

    public init(url: String, encoder: SentenceEncoder) async throws {
        self.url = url
        self.encoder = encoder
        _ = try PostgresLocation(url: url)
    }

    /// Runs `body` on a connection of its own that holds the writer lock.
    public func withWriter<T>(_ body: (PostgresStore) async throws -> T) async throws -> T {
        let store = try await PostgresStore.connect(url)
        do {
            try await store.refuseStandby()
            try await store.lockWriter(wait: waitForWriter) { [notice] pid in
                notice("waiting for another engram index on \(store.location.display)\(pid > 0 ? " (server pid \(pid))" : "")")
            }
            let value = try await body(store)
            await store.close()  // the lock goes with the session
            return value
        } catch {
            await store.close()
            throw error
        }
    }

    public func index(folder: String, walker: Walker = Walker(), warn: @escaping (IndexWarning) -> Void = { _ in }) async throws -> IndexSummary {
        try await withWriter { store in
            let indexer = try await PostgresIndexer(store: store, encoder: encoder)
            return try await indexer.index(folder: folder, walker: walker, warn: warn)
        }
    }

    public func remove(under path: String) async throws -> Int {
        try await withWriter { store in
            try await store.requireIndex()
            return try await store.transaction {
                try await store.removeRoots(under: path)
                return try await store.deleteDocuments(under: path)
            }
        }
    }

    func readerStore() async throws -> PostgresStore {
        if let reader { return reader }
        let r = try await PostgresStore.connect(readURL ?? url)
        reader = r
        return r
    }

    public func holdingWriter<T>(_ body: () async throws -> T) async throws -> T {
        try await withWriter { _ in try await body() }
    }

    /// A searcher on the reader connection, with this store's scan.
    public func searcher() async throws -> PostgresSearcher {
        let searcher = try await PostgresSearcher(store: try await readerStore(), encoder: encoder)
        searcher.scan = scan
        return searcher
    }

    public func search(_ query: String, options: SearchOptions, memory use: MemoryUse?) async throws -> SearchOutcome {
        let searcher = try await searcher()
        guard let use else {
            return SearchOutcome(response: try await searcher.search(query, options: options), memory: nil, profile: "default", config: MemoryConfig())
        }
        let file = try userMemory()
        return try await MemorySearch.run(
            query, use: use, config: file.config, memoryPath: file.path, encoder: encoder, notice: notice,
            session: { try await memorySession(profile: use.profile) },
            rank: { entries, searches, now, vector in
                try await searcher.search(query, vector: vector, entries: entries, now: now, searches: searches, options: options,
                                          explain: use.explain, config: file.config)
            },
            plain: { vector in try await searcher.search(query, vector: vector, options: options) })
    }

    func userMemory() throws -> MemoryFile {
        if let memoryFile { return memoryFile }
        let file = try MemoryFile.user()
        memoryFile = file
        return file
    }

    /// Memory is keyed by the index's id (`engram_meta`), the same on the primary and its replicas.
    public func memorySession(profile: String) async throws -> MemorySession {
        if let session = sessions[profile] { return session }
        let file = try userMemory()
        let store = try await readerStore()
        try await store.requireIndex()
        let name = store.location.display
        let session = try MemorySession(identity: IndexIdentity(id: try await store.indexID(), path: name), indexName: name,
                                        memoryPath: file.path, profile: profile, config: file.config)
        sessions[profile] = session
        return session
    }

    public func open(_ target: String, profile: String, at: Date?) async throws -> MemorySession.LastResult {
        let searcher = try await searcher()
        return try await MemorySearch.open(target, session: try await memorySession(profile: profile), at: at) { id in
            guard let text = try await searcher.store.chunks(ids: [id])[id]?.text, let vector = try await searcher.chunkVectors([id])[id] else {
                return nil
            }
            return (text, vector)
        }
    }

    public func showMemory(profile: String, query: String?, at: Date?) async throws -> ShownMemory {
        let session = try await memorySession(profile: profile)
        guard query != nil else {
            return try await MemorySearch.show(session: session, query: nil, at: at, encoder: encoder) { _ in QueryStatistics(topCosines: []) }
        }
        let searcher = try await searcher()
        return try await MemorySearch.show(session: session, query: query, at: at, encoder: encoder) { try await searcher.statistics($0) }
    }

    public func report(queries: [String], profile: String, n: Int, at: Date?) async throws -> Report {
        let session = try await memorySession(profile: profile), searcher = try await searcher()
        var options = SearchOptions()
        options.limit = n
        return try await ReportBuilder.build(session: session, queries: queries, n: n, now: (at ?? Date()).timeIntervalSince1970) { job in
            try await searcher.search(job.text, entries: job.entries, now: job.at, searches: job.searches, options: options, explain: true,
                                      config: session.config)
        }
    }

    public func status() async throws -> StoreStatus {
        let store = try await readerStore()
        try await store.requireIndex()
        let s = try await store.stats()
        return StoreStatus(store: store.location.display, documents: s.documents, chunks: s.chunks, model: s.model, dimension: s.dimension,
                           precision: s.precision, bytes: s.bytes, lastIndexed: s.lastIndexed, roots: s.roots,
                           schemaVersion: s.schemaVersion)
    }

    public func close() async {
        await reader?.close()
        reader = nil
    }
}

/// The SQLite index behind `SearchStore`, through the engine's own `Indexer` and `Searcher`.
public final class SQLiteSearchStore: SearchStore, @unchecked Sendable {
    public let path: String
    public let encoder: SentenceEncoder
    public var waitForWriter = true
    /// Sessions opened before a change of file are dropped with it.
    public var memoryFile: MemoryFile? { didSet { sessions = [:] } }
    /// Called with a line about memory that could not be used (the search goes on without it).
    public var notice: (String) -> Void = { _ in }
    private var sessions: [String: MemorySession] = [:]

    public init(path: String, encoder: SentenceEncoder) {
        self.path = path
        self.encoder = encoder
    }

    func writer(create: Bool) throws -> IndexStore {
        try IndexStore(path: path, access: .write(create: create, wait: waitForWriter ? .wait(notice: { _ in }) : .fail))
    }

    public func index(folder: String, walker: Walker = Walker(), warn: @escaping (IndexWarning) -> Void = { _ in }) async throws -> IndexSummary {
        let store = try writer(create: true)
        let indexer = try Indexer(store: store, encoder: encoder)
        try store.write { try store.setMeta("precision", encoder.precision.rawValue) }
        let summary = try indexer.index(folder: folder, walker: walker, warn: warn)
        let root = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
        try store.write { try store.addRoot(root) }
        return summary
    }

    public func holdingWriter<T>(_ body: () async throws -> T) async throws -> T {
        let store = try writer(create: false)
        defer { withExtendedLifetime(store) {} }
        return try await body()
    }

    public func remove(under path: String) async throws -> Int {
        let store = try writer(create: false)
        return try store.write {
            try store.removeRoots(under: path)
            return try store.deleteDocuments(under: path)
        }
    }

    public func search(_ query: String, options: SearchOptions, memory use: MemoryUse?) async throws -> SearchOutcome {
        let searcher = try Searcher(store: try IndexStore(path: path, access: .read), encoder: encoder)
        guard let use else {
            return SearchOutcome(response: try searcher.search(query, options: options), memory: nil, profile: "default", config: MemoryConfig())
        }
        let file = try userMemory()
        return try await MemorySearch.run(
            query, use: use, config: file.config, memoryPath: file.path, encoder: encoder, notice: notice,
            session: { try await memorySession(profile: use.profile) },
            rank: { entries, searches, now, vector in
                try MemoryRanker(searcher: searcher, config: file.config).search(
                    query, vector: vector, entries: entries, now: now, searches: searches, options: options, explain: use.explain)
            },
            plain: { vector in try searcher.search(SearchRequest(query, vector: vector, options: options)) })
    }

    func userMemory() throws -> MemoryFile {
        if let memoryFile { return memoryFile }
        let file = try MemoryFile.user()
        memoryFile = file
        return file
    }

    public func memorySession(profile: String) async throws -> MemorySession {
        if let session = sessions[profile] { return session }
        let file = try userMemory()
        let session = try MemorySession(index: try IndexStore(path: path, access: .read), memoryPath: file.path, profile: profile,
                                        config: file.config, notice: notice)
        sessions[profile] = session
        return session
    }

    public func open(_ target: String, profile: String, at: Date?) async throws -> MemorySession.LastResult {
        try await memorySession(profile: profile).open(target, now: (at ?? Date()).timeIntervalSince1970)
    }

    public func showMemory(profile: String, query: String?, at: Date?) async throws -> ShownMemory {
        let session = try await memorySession(profile: profile)
        let searcher = try Searcher(store: try IndexStore(path: path, access: .read), encoder: encoder)
        return try await MemorySearch.show(session: session, query: query, at: at, encoder: encoder) {
            try MemoryRanker(searcher: searcher, config: session.config).statistics($0)
        }
    }

    public func report(queries: [String], profile: String, n: Int, at: Date?) async throws -> Report {
        let session = try await memorySession(profile: profile)
        let searcher = try Searcher(store: try IndexStore(path: path, access: .read), encoder: encoder)
        return try ReportBuilder(session: session, searcher: searcher).build(queries: queries, n: n, now: (at ?? Date()).timeIntervalSince1970)
    }

    public func status() async throws -> StoreStatus {
        let s = try IndexStore(path: path, access: .read).stats()
        return StoreStatus(store: path, documents: s.documents, chunks: s.chunks, model: s.model, dimension: s.dimension,
                           precision: s.precision, bytes: s.bytes, lastIndexed: s.lastIndexed, roots: s.roots, schemaVersion: nil)
    }

    public func close() async {}
}
