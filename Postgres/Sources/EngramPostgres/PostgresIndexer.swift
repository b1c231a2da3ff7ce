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
        let root = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
        let walk = walker.walk(root)
        summary.unsupported = walk.unsupported
        for s in walk.skipped {
            summary.skip(s.kind)
            warn(IndexWarning(kind: .skipped, path: s.path, reason: s.reason, skip: s.kind))
        }

        let all = try await store.documents()
        let prefix = root.hasSuffix("/") ? root : root + "/"
        let existing = Dictionary(all.filter { $0.path == root || $0.path.hasPrefix(prefix) }.map { ($0.path, $0) },
                                  uniquingKeysWith: { a, _ in a })
        let foundPaths = Set(walk.files.map(\.path))
        var vanished = Dictionary(grouping: all.filter { !foundPaths.contains($0.path) && Indexer.fileIsGone($0.path) }, by: \.hash)
        let extractor = TextExtractor(maxDecompressedSize: Int(clamping: walker.maxFileSize))
        var pending: [PendingDocument] = []
        var missingTools = Set<String>()
        var movedIDs = Set<Int64>()
        var oversized = Set<String>()

        for file in walk.files {
            let old = existing[file.path]
            if let old, old.size == file.size, old.mtime == file.mtime {
                summary.unchanged += 1
                continue
            }
            if FileKind(path: file.path) == .unknown && !FileKind.isCompressed(file.path),
               let head = Indexer.fileHead(file.path), !TextDecoding.looksLikeText(head) {
                summary.skip(.binary)
                summary.unsupported += 1
                warn(IndexWarning(kind: .skipped, path: file.path, reason: ExtractionError.binary.description, skip: .binary))
                continue
            }
            guard let data = FileManager.default.contents(atPath: file.path) else {
                summary.errors += 1
                warn(IndexWarning(kind: .error, path: file.path, reason: "cannot read file; its documents are kept"))
                continue
            }
            let hash = SHA256.hex(data)
            if let old, old.hash == hash {
                try await store.moveDocument(id: old.id, to: file.path, mtime: file.mtime)
                summary.unchanged += 1
                continue
            }
            if old == nil, var candidates = vanished[hash], let source = candidates.popLast() {
                vanished[hash] = candidates
                try await store.moveDocument(id: source.id, to: file.path, mtime: file.mtime)
                movedIDs.insert(source.id)
                summary.moved += 1
                continue
            }
            do {
                let extracted = try extractor.extract(path: file.path, data: data)
                for w in extracted.warnings { warn(IndexWarning(kind: .warning, path: file.path, reason: w)) }
                pending.append(PendingDocument(path: file.path, size: file.size, mtime: file.mtime, hash: hash,
                                               type: extracted.type.rawValue, title: extracted.title, text: extracted.text))
            } catch {
                summary.skip(error.skipReason)
                if error == .binary { summary.unsupported += 1 }
                if error.skipReason == .tooLarge { oversized.insert(file.path) }
                if case .toolMissing(let tool) = error {
                    if missingTools.insert(tool).inserted {
                        warn(IndexWarning(kind: .skipped, path: file.path, reason: "\(error); PDF files are skipped", skip: error.skipReason))
                    }
                } else {
                    warn(IndexWarning(kind: .skipped, path: file.path, reason: error.description, skip: error.skipReason))
                }
                continue
            }
            if pending.count >= batchSize {
                try await write(pending, existing: existing, summary: &summary)
                pending.removeAll()
            }
        }
        try await write(pending, existing: existing, summary: &summary)

        let leftovers = existing.values.filter {
            (!foundPaths.contains($0.path) || oversized.contains($0.path)) && !movedIDs.contains($0.id) && !walk.isUnreachable($0.path)
        }
        if !leftovers.isEmpty {
            try await store.transaction {
                for d in leftovers { try await store.deleteDocument(id: d.id) }
            }
            summary.removed = leftovers.count
        }
        try await store.addRoot(root)
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
