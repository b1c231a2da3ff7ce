import EngramEmbedding
import EngramEngine
import EngramStore
import EngramText
import Foundation

/// Brings a PostgreSQL store up to date with folders, by the engine's rules (`Indexer.index(folder:)`):
/// unchanged files cost a `stat`, renamed ones are recognised by content hash, edited ones re-embed only
/// their changed passages (the engine's chunker and passage text), deleted ones leave, and an unreadable
/// file keeps its documents. Each batch of documents is one transaction.
public final class PostgresIndexer {
    public let store: PostgresStore
    public let encoder: SentenceEncoder
    let chunker: Chunker
    let analyzer = LexicalAnalyzer()
    public var batchSize = 64

    /// Migrates the schema and binds the model. The caller holds the writer lock (`store.lockWriter`).
    public init(store: PostgresStore, encoder: SentenceEncoder) async throws {
        self.store = store
        self.encoder = encoder
        chunker = Indexer.chunker(for: encoder)
        try await store.migrate(dimension: encoder.dimension)
        try await store.bindModel(identity: encoder.identity, dimension: encoder.dimension)
        try await store.setMeta("precision", encoder.precision.rawValue)
    }

    public func index(folder: String, walker: Walker = Walker(), warn: (IndexWarning) -> Void = { _ in }) async throws -> IndexSummary {
        let started = Date()
        var summary = IndexSummary()
        var changes = FolderChanges(folder: folder, walker: walker, documents: try await store.documents(),
                                    summary: &summary, warn: warn)
        var pending: [PendingDocument] = []
        for file in changes.walk.files {
            switch changes.change(for: file, summary: &summary, warn: warn) {
            case .none:
                continue
            case .move(let id):
                try await store.moveDocument(id: id, to: file.path, mtime: file.mtime)
            case .content(let document):
                pending.append(document)
                if pending.count >= batchSize {
                    try await write(pending, existing: changes.existing, summary: &summary)
                    pending.removeAll()
                }
            }
        }
        try await write(pending, existing: changes.existing, summary: &summary)

        let leftovers = changes.leftovers
        if !leftovers.isEmpty {
            try await store.transaction {
                for d in leftovers { try await store.deleteDocument(id: d.id) }
            }
            summary.removed = leftovers.count
        }
        try await store.addRoot(changes.root)
        // Fresh statistics after a large change, so the planner knows the postings' sizes before autovacuum runs.
        if summary.chunksEmbedded + summary.removed > 1000 { try await store.run("ANALYZE") }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// Indexes documents that are not files (a collection's records); a path already indexed is updated.
    public func index(documents: [PendingDocument], summary: inout IndexSummary) async throws {
        var existing: [String: IndexStore.Document] = [:]
        for d in documents { existing[d.path] = try await store.document(path: d.path) }
        for start in stride(from: 0, to: documents.count, by: batchSize) {
            try await write(Array(documents[start..<min(start + batchSize, documents.count)]), existing: existing, summary: &summary)
        }
    }

    /// Chunks a batch, embeds what no earlier chunk of the same document already holds, and writes it in
    /// one transaction.
    func write(_ documents: [PendingDocument], existing: [String: IndexStore.Document], summary: inout IndexSummary) async throws {
        guard !documents.isEmpty else { return }
        struct Planned {
            var document: PendingDocument
            var passages: [(chunk: TextChunk, embedded: String, hash: String)]
            var reuse: [String: Int64]
            var old: [Int64]
            var isUpdate: Bool
        }
        var planned: [Planned] = []
        var toEmbed: [String] = []
        var embedKeys: [(Int, Int)] = []
        for doc in documents {
            let passages = Indexer.passages(of: doc, chunker: chunker)
            var reuse: [String: Int64] = [:], old: [Int64] = []
            var previous = existing[doc.path]
            if previous == nil { previous = try await store.document(path: doc.path) }
            if let previous {
                for c in try await store.chunkHashes(ofDocument: previous.id) {
                    old.append(c.id)
                    if reuse[c.hash] == nil { reuse[c.hash] = c.id }
                }
            }
            for (i, p) in passages.enumerated() where reuse[p.hash] == nil {
                toEmbed.append(p.embedded)
                embedKeys.append((planned.count, i))
            }
            planned.append(Planned(document: doc, passages: passages, reuse: reuse, old: old, isUpdate: existing[doc.path] != nil))
        }
        let vectors = encoder.encode(toEmbed)
        var newVectors: [Int: [Int: [Float]]] = [:]
        for (k, v) in zip(embedKeys, vectors) { newVectors[k.0, default: [:]][k.1] = v }

        try await store.transaction {
            for (p, plan) in planned.enumerated() {
                let doc = plan.document
                let id = try await store.upsertDocument(IndexStore.Document(
                    id: 0, path: doc.path, size: doc.size, mtime: doc.mtime, hash: doc.hash, type: doc.type,
                    title: doc.title, indexedAt: Date().timeIntervalSince1970))
                var kept = Set<Int64>()
                for (i, passage) in plan.passages.enumerated() {
                    let chunk = passage.chunk
                    if let old = plan.reuse[passage.hash], !kept.contains(old) {
                        try await store.moveChunk(id: old, ordinal: i, lineStart: chunk.lineStart, lineEnd: chunk.lineEnd)
                        kept.insert(old)
                        summary.chunksReused += 1
                        continue
                    }
                    let terms = analyzer.terms(passage.embedded)
                    let counts = terms.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
                    let vector = newVectors[p]?[i]
                    try await store.insertChunk(
                        documentID: id, ordinal: i, text: chunk.text, lineStart: chunk.lineStart, lineEnd: chunk.lineEnd,
                        tokenCount: chunk.tokenCount, textHash: passage.hash, vector: vector,
                        copyOf: vector == nil ? plan.reuse[passage.hash] : nil, terms: counts, lexLength: terms.count)
                    if vector != nil { summary.chunksEmbedded += 1 }
                }
                for old in plan.old where !kept.contains(old) { try await store.deleteChunk(id: old) }
                if plan.isUpdate { summary.updated += 1 } else { summary.added += 1 }
            }
        }
    }
}
