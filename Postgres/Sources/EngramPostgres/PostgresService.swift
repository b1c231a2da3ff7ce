import EngramEmbedding
import EngramEngine
import EngramMemory
import EngramService
import EngramStore
import EngramText
import Foundation

/// `engram serve` and `engram mcp` on a PostgreSQL store: the same `IndexService` as `EngineService` is on
/// a SQLite file, so the HTTP routes and MCP tools answer with the same JSON.
///
/// Searches, documents and status go through a small pool of store connections (`readURL` when given: a
/// streaming replica, else the primary); each request borrows one for its duration, so requests run side
/// by side up to the pool's size and never share a connection. A search is the store's own search call.
/// An index call opens a connection of its own to the primary (`url`), holds the database's writer
/// advisory lock for the whole call, as `engram index --store` does, and runs off Swift's cooperative
/// threads (embedding takes seconds): searches meanwhile read the last committed state.
public final class PostgresService: IndexService {
    public let url: String
    public let readURL: String?
    public let encoder: SentenceEncoder
    public let config: MemoryConfig
    public let location: String
    public let readLocation: String
    let warn: @Sendable (String) -> Void
    let readers: ReaderPool

    /// `url`: the primary, where writes go; `readURL`: where searches and status read (nil: the primary).
    /// Nothing connects until `warmUp` or the first request.
    public init(url: String, readURL: String? = nil, encoder: SentenceEncoder, config: MemoryConfig = MemoryConfig(),
                connections: Int = max(2, ProcessInfo.processInfo.activeProcessorCount), warn: @escaping @Sendable (String) -> Void) throws {
        location = try PostgresLocation(url: url).display
        readLocation = try readURL.map { try PostgresLocation(url: $0).display } ?? location
        (self.url, self.readURL, self.encoder, self.config, self.warn) = (url, readURL, encoder, config, warn)
        readers = ReaderPool(limit: max(1, connections)) {
            let store = try await PostgresSearchStore(url: url, encoder: encoder)
            store.readURL = readURL
            return store
        }
    }

    /// Connects one reader now, so that a wrong URL or a stopped server is said at start; a database
    /// without an index yet is not an error (the first index call creates it).
    public func warmUp() async throws {
        do {
            _ = try await reading { try await $0.readerStore().requireIndex() }
        } catch ServiceError.noIndex {
        }
    }

    public func search(_ query: ServiceQuery) async throws -> ServiceSearch {
        try await reading { store in
            // The store's search call is this store's one way to results: memory (the query's profile, record,
            // explain) is applied there, beside the ranking, for `engram search --store` and the servers alike.
            let use = query.useMemory ? MemoryUse(profile: query.profile, record: query.record, explain: query.explain) : nil
            let outcome = try await store.search(query.text, options: query.options, memory: use)
            return ServiceSearch(response: outcome.response, memory: outcome.memory, profile: query.profile,
                                 config: outcome.memory == nil ? config : outcome.config)
        }
    }

    public func document(path: String, lines: ClosedRange<Int>?, context: Int) async throws -> DocumentText {
        guard context >= 0 else { throw ServiceError.invalid("context must be 0 or more (got \(context))") }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let found = try await reading { store -> IndexStore.Document? in
            let pg = try await store.readerStore()
            try await pg.requireIndex()
            if let doc = try await pg.document(path: absolute) { return doc }
            return try await pg.document(path: path)
        }
        // Read from this machine's disk: a document indexed from another machine that this one cannot see is unreadable here.
        guard let doc = found else { throw ServiceError.notIndexed(path: path) }
        return try DocumentText.read(doc, lines: lines, context: context)
    }

    public func status() async throws -> IndexStore.Stats {
        try await reading { store in
            let pg = try await store.readerStore()
            try await pg.requireIndex()
            let s = try await pg.stats()
            return IndexStore.Stats(documents: s.documents, chunks: s.chunks, vectors: s.chunks, postings: s.postings, bytes: s.bytes,
                                    lastIndexed: s.lastIndexed, model: s.model, dimension: s.dimension, precision: s.precision, roots: s.roots)
        }
    }

    public func index(paths: [String]) async throws -> ServiceIndexResult {
        guard !paths.isEmpty else { throw ServiceError.invalid("no paths to index") }
        for p in paths where !FileManager.default.fileExists(atPath: p) { throw ServiceError.invalid("no such file or folder: \(p)") }
        let (url, encoder, warn) = (self.url, self.encoder, self.warn)
        return try await withTaskExecutorPreference(WriterExecutor.shared) {
            let started = Date()
            let store = try await PostgresSearchStore(url: url, encoder: encoder)
            store.notice = warn
            var total = IndexSummary()
            var warnings: [IndexWarning] = []
            try await store.withWriter { pg in
                let indexer = try await PostgresIndexer(store: pg, encoder: encoder)
                for path in paths {
                    let s = try await indexer.index(folder: path, walker: Walker(), warn: { warnings.append($0) })
                    total.added += s.added; total.updated += s.updated; total.unchanged += s.unchanged; total.moved += s.moved
                    total.removed += s.removed; total.skipped += s.skipped; total.errors += s.errors; total.unsupported += s.unsupported
                    total.chunksEmbedded += s.chunksEmbedded; total.chunksReused += s.chunksReused
                    for (k, v) in s.skippedReasons { total.skippedReasons[k, default: 0] += v }
                }
            }
            total.seconds = Date().timeIntervalSince(started)
            return ServiceIndexResult(summary: total, warnings: warnings)
        }
    }

    /// Closes the pool's connections.
    public func close() async {
        await readers.close()
    }

    /// Runs `body` on a borrowed reader. A reader whose call failed is closed rather than returned (its
    /// connection may be the reason: a restarted server, a dropped replica), and the next request opens a
    /// new one. An index that does not exist is the service's `noIndex`, as on SQLite.
    func reading<T: Sendable>(_ body: (PostgresSearchStore) async throws -> T) async throws -> T {
        let store = try await readers.take()
        do {
            let value = try await body(store)
            await readers.give(store)
            return value
        } catch {
            await readers.discard(store)
            if let e = error as? PostgresStoreError, case .noIndex = e { throw ServiceError.noIndex(path: readLocation) }
            throw error
        }
    }
}

/// Up to `limit` reader stores, each serving one request at a time; a request beyond the limit waits for one.
actor ReaderPool {
    let limit: Int
    let make: @Sendable () async throws -> PostgresSearchStore
    private var idle: [PostgresSearchStore] = []
    private var open = 0
    private var waiting: [CheckedContinuation<PostgresSearchStore?, Never>] = []

    init(limit: Int, make: @escaping @Sendable () async throws -> PostgresSearchStore) {
        (self.limit, self.make) = (limit, make)
    }

    func take() async throws -> PostgresSearchStore {
        if let store = idle.popLast() { return store }
        if open < limit {
            open += 1
            do { return try await make() } catch {
                open -= 1
                throw error
            }
        }
        // Woken with a store handed back, or with nil when one was discarded: then open a new one.
        if let store = await withCheckedContinuation({ waiting.append($0) }) { return store }
        return try await take()
    }

    func give(_ store: PostgresSearchStore) {
        if waiting.isEmpty { idle.append(store) } else { waiting.removeFirst().resume(returning: store) }
    }

    func discard(_ store: PostgresSearchStore) async {
        open -= 1
        if !waiting.isEmpty { waiting.removeFirst().resume(returning: nil) }
        await store.close()
    }

    func close() async {
        for store in idle { await store.close() }
        open -= idle.count
        idle.removeAll()
    }
}

/// A thread of its own for index calls: embedding a batch keeps a core busy for seconds, and on Swift's
/// cooperative threads (one per core) that would hold up the requests answered meanwhile.
final class WriterExecutor: TaskExecutor, @unchecked Sendable {
    static let shared = WriterExecutor()
    private let queue = DispatchQueue(label: "engram.pg.writer")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
