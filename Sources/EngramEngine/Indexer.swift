import EngramEmbedding
import EngramStore
import EngramText
import Foundation

/// A document ready to be indexed: a file's extracted text, or a collection record.
public struct PendingDocument: Sendable {
    public var path: String
    public var size: Int64
    public var mtime: Double
    public var hash: String
    public var type: String
    public var title: String
    public var text: String
    public var warnings: [String] = []

    public init(path: String, size: Int64, mtime: Double, hash: String, type: String, title: String, text: String) {
        self.path = path
        self.size = size
        self.mtime = mtime
        self.hash = hash
        self.type = type
        self.title = title
        self.text = text
    }
}

/// What one `engram index` run did.
public struct IndexSummary: Sendable, Codable, Equatable {
    public var added = 0
    public var updated = 0
    public var unchanged = 0
    public var moved = 0
    public var removed = 0
    public var skipped = 0
    /// `skipped` by reason (`SkipReason` raw values); reasons with no file are absent.
    public var skippedReasons: [String: Int] = [:]
    public var errors = 0
    public var unsupported = 0
    public var chunksEmbedded = 0
    public var chunksReused = 0
    public var seconds = 0.0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case added, updated, unchanged, moved, removed, skipped, errors, unsupported, seconds
        case chunksEmbedded = "chunks_embedded"
        case chunksReused = "chunks_reused"
        case skippedReasons = "skipped_reasons"
    }

    public mutating func skip(_ reason: SkipReason) {
        skipped += 1
        skippedReasons[reason.rawValue, default: 0] += 1
    }

    /// "binary 8, too large 3, unreadable 1", most frequent first.
    public var skippedBreakdown: String {
        skippedReasons.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .map { "\(SkipReason(rawValue: $0.key)?.label ?? $0.key) \($0.value)" }.joined(separator: ", ")
    }
}

/// Progress of an indexing run, for a progress bar.
public struct IndexProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var chunksEmbedded: Int
}

/// A problem with one file, reported as one line and counted, never fatal to the run.
public struct IndexWarning: Sendable {
    public enum Kind: String, Sendable { case skipped, error, warning }
    public var kind: Kind
    public var path: String
    public var reason: String
    /// Why a skipped file was skipped.
    public var skip: SkipReason?

    public init(kind: Kind, path: String, reason: String, skip: SkipReason? = nil) {
        (self.kind, self.path, self.reason, self.skip) = (kind, path, reason, skip)
    }
}

/// Brings an index up to date with documents: embeds only what changed and commits in batches,
/// so a run killed at any moment leaves a consistent index that the next run completes.
public final class Indexer {
    public let store: IndexStore
    public let encoder: SentenceEncoder
    let chunker: Chunker
    let analyzer = LexicalAnalyzer()
    /// Documents per transaction.
    public var batchSize = 64

    public init(store: IndexStore, encoder: SentenceEncoder) throws {
        self.store = store
        self.encoder = encoder
        let tokenizer = encoder.tokenizer
        chunker = Chunker(countTokens: { tokenizer.encode($0).untruncatedLength - 2 })
        try store.bindModel(identity: encoder.identity, dimension: encoder.dimension)
    }

    /// Text embedded for a chunk: the document title, then the passage.
    static func embeddingText(title: String, chunk: String) -> String {
        title.isEmpty || chunk.hasPrefix(title) ? chunk : title + "\n" + chunk
    }

    /// Indexes documents that are not files (e.g. a collection's records) in one transaction;
    /// a document whose path is already indexed is updated, re-embedding only changed chunks.
    public func index(documents: [PendingDocument], summary: inout IndexSummary) throws {
        var existing: [String: IndexStore.Document] = [:]
        for d in documents { existing[d.path] = try store.document(path: d.path) }
        try write(documents, summary: &summary, existing: existing) { _ in }
    }

    /// A batch chunked and matched against the chunks already embedded: what is left to embed.
    struct PlannedBatch {
        struct Planned {
            var document: PendingDocument
            var chunks: [TextChunk]
            var hashes: [String]
            var reuse: [String: IndexStore.Chunk]
            /// The document was indexed before (an update, not an addition).
            var isUpdate: Bool
        }
        var planned: [Planned] = []
        var toEmbed: [String] = []
        /// (document, chunk) of each text in `toEmbed`.
        var embedKeys: [(Int, Int)] = []
    }

    /// Chunks, embeds and stores one batch of documents in one transaction.
    func write(
        _ documents: [PendingDocument], summary: inout IndexSummary, existing: [String: IndexStore.Document],
        progress: (Int) -> Void
    ) throws {
        let batch = try plan(documents, existing: existing)
        try commit(batch, vectors: encoder.encode(batch.toEmbed), summary: &summary)
        progress(batch.planned.count)
    }

    /// Step 1: chunks every document and finds the chunks whose text is already embedded.
    func plan(_ documents: [PendingDocument], existing: [String: IndexStore.Document]) throws -> PlannedBatch {
        var batch = PlannedBatch()
        for doc in documents {
            var chunks = chunker.chunks(doc.text)
            if chunks.isEmpty && !doc.title.isEmpty {
                // A document with a title and no body (some records have only a title) is still findable.
                chunks = [TextChunk(text: doc.title, lineStart: 1, lineEnd: 1, tokenCount: chunker.countTokens(doc.title))]
            }
            let texts = chunks.map { Self.embeddingText(title: doc.title, chunk: $0.text) }
            let hashes = texts.map { SHA256.hex(Data($0.utf8)) }
            var reuse: [String: IndexStore.Chunk] = [:]
            if let old = existing[doc.path] {
                for c in try store.chunks(ofDocument: old.id) where reuse[c.textHash] == nil { reuse[c.textHash] = c }
            }
            for (i, h) in hashes.enumerated() where reuse[h] == nil {
                batch.toEmbed.append(texts[i])
                batch.embedKeys.append((batch.planned.count, i))
            }
            batch.planned.append(PlannedBatch.Planned(document: doc, chunks: chunks, hashes: hashes, reuse: reuse,
                                                      isUpdate: existing[doc.path] != nil))
        }
        return batch
    }

    /// Step 3: writes a planned batch, with the vectors of its `toEmbed` texts, in one transaction.
    func commit(_ batch: PlannedBatch, vectors: [[Float]], summary: inout IndexSummary) throws {
        let planned = batch.planned
        var newVectors: [Int: [Int: [Float]]] = [:]
        for (k, v) in zip(batch.embedKeys, vectors) { newVectors[k.0, default: [:]][k.1] = v }

        // 3. Write all documents of the batch in one transaction.
        try store.write {
            for (p, plan) in planned.enumerated() {
                let doc = plan.document
                let id = try store.upsertDocument(IndexStore.Document(
                    id: 0, path: doc.path, size: doc.size, mtime: doc.mtime, hash: doc.hash, type: doc.type,
                    title: doc.title, indexedAt: Date().timeIntervalSince1970))
                var kept = Set<Int64>()
                for (i, chunk) in plan.chunks.enumerated() {
                    if let old = plan.reuse[plan.hashes[i]], !kept.contains(old.id) {
                        try store.moveChunk(id: old.id, ordinal: i, lineStart: chunk.lineStart, lineEnd: chunk.lineEnd)
                        kept.insert(old.id)
                        summary.chunksReused += 1
                        continue
                    }
                    let text = Self.embeddingText(title: doc.title, chunk: chunk.text)
                    let vector = try newVectors[p]?[i] ?? store.vector(chunkID: plan.reuse[plan.hashes[i]]!.id) ?? []
                    let terms = analyzer.terms(text)
                    let counts = terms.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
                    try store.insertChunk(
                        IndexStore.Chunk(id: 0, documentID: id, ordinal: i, text: chunk.text, lineStart: chunk.lineStart,
                                         lineEnd: chunk.lineEnd, tokenCount: chunk.tokenCount, textHash: plan.hashes[i]),
                        vector: vector, terms: counts, lexLength: terms.count)
                    if newVectors[p]?[i] != nil { summary.chunksEmbedded += 1 }
                }
                for old in plan.reuse.values where !kept.contains(old.id) { try store.deleteChunk(id: old.id) }
                if plan.isUpdate { summary.updated += 1 } else { summary.added += 1 }
            }
        }
    }
}
