import EngramEmbedding
import EngramStore
import EngramText
import Foundation

extension Indexer {
    /// Indexes a folder (or one file): new and changed files are embedded, unchanged ones cost a
    /// `stat`, renamed ones are recognised by content hash, deleted ones leave the index. A file or
    /// folder that exists but cannot be read keeps its documents (a warning; the next run retries);
    /// only files that are gone, ignored or skipped by name or size leave.
    public func index(
        folder: String, walker: Walker = Walker(),
        warn: (IndexWarning) -> Void = { _ in }, progress: (IndexProgress) -> Void = { _ in }
    ) throws -> IndexSummary {
        let started = Date()
        var summary = IndexSummary()
        // The index's own files (`engram index .` next to ./Indexes/default.sqlite) are not documents.
        let own = Set(["", "-wal", "-shm", "-journal", ".lock", ".segment", ".segment.tmp"].map { URL(fileURLWithPath: store.path).standardizedFileURL.resolvingSymlinksInPath().path + $0 })
        var changes = FolderChanges(folder: folder, walker: walker, documents: try store.documents(), ownFiles: own,
                                    summary: &summary, warn: warn)
        var pending: [PendingDocument] = []
        var done = 0
        let total = changes.walk.files.count

        // Batches overlap: while one batch is embedded on a thread of its own (the encoder spreads its products
        // over both cores), this thread reads, extracts and chunks the next one, then writes the first. The
        // encoder's gaps between products are filled instead of every other step waiting for it.
        var inFlight: (batch: PlannedBatch, job: EmbeddingJob)?
        func finishInFlight() throws {
            guard let (batch, job) = inFlight else { return }
            inFlight = nil
            try commit(batch, vectors: job.wait(), summary: &summary)
            done += batch.planned.count
            progress(IndexProgress(filesDone: done, filesTotal: total, chunksEmbedded: summary.chunksEmbedded))
        }
        func flush() throws {
            guard !pending.isEmpty else { return }
            let batch = try plan(pending, existing: changes.existing)
            pending.removeAll()
            try finishInFlight()
            inFlight = (batch, EmbeddingJob(encoder: encoder, texts: batch.toEmbed))
        }

        for file in changes.walk.files {
            switch changes.change(for: file, summary: &summary, warn: warn) {
            case .none:
                done += 1
            case .move(let id):
                try store.write { try store.moveDocument(id: id, to: file.path, mtime: file.mtime) }
                done += 1
            case .content(let document):
                pending.append(document)
                if pending.count >= batchSize { try flush() }
            }
        }
        try flush()
        try finishInFlight()

        let leftovers = changes.leftovers
        if !leftovers.isEmpty {
            try store.write {
                for d in leftovers { try store.deleteDocument(id: d.id) }
            }
            summary.removed = leftovers.count
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// One batch's embedding, computed on a thread of its own; `wait()` returns the vectors.
    final class EmbeddingJob: @unchecked Sendable {
        private let finished = DispatchSemaphore(value: 0)
        // Written once by the thread, read after `finished` is signalled.
        private var vectors: [[Float]] = []

        init(encoder: SentenceEncoder, texts: [String]) {
            let thread = Thread { [self] in
                vectors = encoder.encode(texts)
                finished.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }

        func wait() -> [[Float]] {
            finished.wait()
            return vectors
        }
    }

    /// Whether nothing exists at `path` any more (not merely unreadable).
    static func isGone(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) != 0 && Walker.isGone(errno)
    }

    /// A file's first bytes, enough to tell text from binary.
    static func head(_ path: String) -> Data? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return try? handle.read(upToCount: 8192) ?? Data()
    }
}
