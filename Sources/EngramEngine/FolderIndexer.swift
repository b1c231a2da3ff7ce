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
        let root = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
        var walk = walker.walk(root)
        // The index's own files (`engram index .` next to ./Indexes/default.sqlite) are not documents.
        let own = Set(["", "-wal", "-shm", "-journal", ".lock", ".segment", ".segment.tmp"].map { URL(fileURLWithPath: store.path).standardizedFileURL.resolvingSymlinksInPath().path + $0 })
        let skippedOwn = walk.skipped.filter { own.contains($0.path) }
        walk.files.removeAll { own.contains($0.path) }
        walk.skipped.removeAll { own.contains($0.path) }
        walk.unsupported -= skippedOwn.filter { $0.kind == .binary }.count
        summary.unsupported = walk.unsupported
        for s in walk.skipped {
            summary.skip(s.kind)
            warn(IndexWarning(kind: .skipped, path: s.path, reason: s.reason, skip: s.kind))
        }

        let all = try store.documents()
        let prefix = root.hasSuffix("/") ? root : root + "/"
        let existing = Dictionary(all.filter { $0.path == root || $0.path.hasPrefix(prefix) }.map { ($0.path, $0) },
                                  uniquingKeysWith: { a, _ in a })
        let foundPaths = Set(walk.files.map(\.path))
        // Documents whose file is gone anywhere in the index: candidates for a rename.
        var vanished = Dictionary(grouping: all.filter { !foundPaths.contains($0.path) && Self.isGone($0.path) }, by: \.hash)
        let extractor = TextExtractor(maxDecompressedSize: Int(clamping: walker.maxFileSize))
        var pending: [PendingDocument] = []
        var done = 0
        var missingTools = Set<String>()
        var movedIDs = Set<Int64>()
        var oversized = Set<String>()  // compressed files that inflate past the limit: out, like any file over it
        let total = walk.files.count

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
            let batch = try plan(pending, existing: existing)
            pending.removeAll()
            try finishInFlight()
            inFlight = (batch, EmbeddingJob(encoder: encoder, texts: batch.toEmbed))
        }

        for file in walk.files {
            let old = existing[file.path]
            if let old, old.size == file.size, old.mtime == file.mtime {
                summary.unchanged += 1
                done += 1
                continue
            }
            // A file whose name says nothing is opened for its first bytes only, unless they are text.
            if FileKind(path: file.path) == .unknown && !FileKind.isCompressed(file.path),
               let head = Self.head(file.path), !TextDecoding.looksLikeText(head) {
                summary.skip(.binary)
                summary.unsupported += 1
                done += 1
                warn(IndexWarning(kind: .skipped, path: file.path, reason: ExtractionError.binary.description, skip: .binary))
                continue
            }
            guard let data = FileManager.default.contents(atPath: file.path) else {
                summary.errors += 1
                done += 1
                warn(IndexWarning(kind: .error, path: file.path, reason: "cannot read file; its documents are kept"))
                continue
            }
            let hash = SHA256.hex(data)
            if let old, old.hash == hash {
                try store.write { try store.moveDocument(id: old.id, to: file.path, mtime: file.mtime) }  // touched, not changed
                summary.unchanged += 1
                done += 1
                continue
            }
            if old == nil, var candidates = vanished[hash], let source = candidates.popLast() {
                vanished[hash] = candidates
                try store.write { try store.moveDocument(id: source.id, to: file.path, mtime: file.mtime) }
                movedIDs.insert(source.id)
                summary.moved += 1
                done += 1
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
                done += 1
                if case .toolMissing(let tool) = error {
                    if missingTools.insert(tool).inserted {
                        warn(IndexWarning(kind: .skipped, path: file.path, reason: "\(error); PDF files are skipped",
                                          skip: error.skipReason))
                    }
                } else {
                    warn(IndexWarning(kind: .skipped, path: file.path, reason: error.description, skip: error.skipReason))
                }
                continue
            }
            if pending.count >= batchSize { try flush() }
        }
        try flush()
        try finishInFlight()

        // Documents under this root that the walk no longer finds (deleted, now ignored, now over the size
        // limit) leave the index; those under a file or folder it could not read stay until a run can.
        let leftovers = existing.values.filter {
            (!foundPaths.contains($0.path) || oversized.contains($0.path)) && !movedIDs.contains($0.id) && !walk.isUnreachable($0.path)
        }
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
