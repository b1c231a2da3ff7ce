import EngramEngine
import EngramStore
import EngramText
import Foundation

extension PostgresStore {
    /// What `importIndex` copied.
    public struct ImportSummary: Sendable, Encodable {
        public var documents = 0
        public var unchanged = 0
        public var chunks = 0
        public var seconds = 0.0
    }

    /// Copies a SQLite index (documents, chunks and their vectors, roots, model) into this store, without
    /// embedding anything: a document already here with the same path and hash is left alone, one with another
    /// hash is replaced. BM25 postings are recomputed from the chunks' text by the engine's analyser. The caller
    /// holds the writer lock.
    public func importIndex(_ path: String, batchSize: Int = 256, progress: (Int, Int) -> Void = { _, _ in }) async throws -> ImportSummary {
        let started = Date()
        let lite = try IndexStore(path: path, access: .read)
        let stats = try lite.stats()
        guard let model = stats.model, let dimension = stats.dimension else { return ImportSummary() }
        try await migrate(dimension: dimension)
        try await bindModel(identity: model, dimension: dimension)
        if let precision = stats.precision { try await setMeta("precision", precision) }
        let loaded = try lite.loadVectors(dimension: dimension)
        var rowOf: [Int64: Int] = [:]
        for (row, id) in loaded.chunkIDs.enumerated() { rowOf[id] = row }
        let documents = try lite.read { try lite.documents() }
        let known = Dictionary(try await self.documents().map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        let analyzer = LexicalAnalyzer()
        var summary = ImportSummary()
        for start in stride(from: 0, to: documents.count, by: batchSize) {
            let batch = documents[start..<min(start + batchSize, documents.count)]
            let chunks = try lite.read { try batch.map { try lite.chunks(ofDocument: $0.id) } }
            try await transaction {
                for (doc, docChunks) in zip(batch, chunks) {
                    if let old = known[doc.path] {
                        if old.hash == doc.hash { summary.unchanged += 1; continue }
                        try await deleteDocument(id: old.id)
                    }
                    let id = try await upsertDocument(doc)
                    for c in docChunks {
                        guard let row = rowOf[c.id] else { continue }  // a damaged vector stays behind
                        let vector = Array(loaded.matrix[row * dimension..<(row + 1) * dimension])
                        let terms = analyzer.terms(Indexer.passageText(title: doc.title, chunk: c.text))
                        try await insertChunk(
                            documentID: id, ordinal: c.ordinal, text: c.text, lineStart: c.lineStart, lineEnd: c.lineEnd,
                            tokenCount: c.tokenCount, textHash: c.textHash, vector: vector, copyOf: nil,
                            terms: terms.reduce(into: [:]) { $0[$1, default: 0] += 1 }, lexLength: terms.count)
                        summary.chunks += 1
                    }
                    summary.documents += 1
                }
            }
            progress(min(start + batchSize, documents.count), documents.count)
        }
        for root in stats.roots { try await addRoot(root) }
        // Fresh statistics, so the planner knows the postings' sizes before autovacuum gets to them.
        if summary.chunks > 0 { try await run("ANALYZE") }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }
}
