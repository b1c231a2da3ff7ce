import EngramEmbedding
import EngramEngine
import EngramMemory
import EngramStore
import EngramText
import Foundation

/// What an index call did, with the warnings it gave (skipped and unreadable files).
public struct ServiceIndexResult: Sendable {
    public let summary: IndexSummary
    public let warnings: [IndexWarning]

    public init(summary: IndexSummary, warnings: [IndexWarning]) {
        (self.summary, self.warnings) = (summary, warnings)
    }
}

extension EngineService {
    /// Index calls run here, one at a time and off Swift's cooperative threads: embedding takes seconds
    /// to minutes, and requests must go on meanwhile.
    private static let writerQueue = DispatchQueue(label: "engram.service.writer")

    /// Indexes `paths` (folders or files) as `engram index` does. The writer lock is taken for this call
    /// only (waiting for another writer if there is one) and released at its end; the reader is then
    /// reopened so searches see the result (unless `reopenReader` is false: a caller that never searches).
    /// Searches made meanwhile use the state loaded before.
    public nonisolated func index(paths: [String], includeHidden: Bool = false, maxFileSize: Int64 = 10 << 20,
                                  reopenReader: Bool = true) async throws
        -> ServiceIndexResult
    {
        guard !paths.isEmpty else { throw ServiceError.invalid("no paths to index") }
        for p in paths where !FileManager.default.fileExists(atPath: p) { throw ServiceError.invalid("no such file or folder: \(p)") }
        let (indexPath, encoder, memoryPath, warn) = (self.indexPath, self.encoder, self.memoryPath, self.warn)
        let result = try await withCheckedThrowingContinuation { (done: CheckedContinuation<ServiceIndexResult, Error>) in
            Self.writerQueue.async {
                done.resume(with: Result {
                    try Self.write(paths: paths, indexPath: indexPath, encoder: encoder, memoryPath: memoryPath,
                                   walker: Walker(includeHidden: includeHidden, maxFileSize: maxFileSize), warn: warn)
                })
            }
        }
        if reopenReader { await reload() }
        return result
    }

    private static func write(paths: [String], indexPath: String, encoder: SentenceEncoder, memoryPath: String, walker: Walker,
                              warn: @escaping @Sendable (String) -> Void) throws -> ServiceIndexResult {
        let started = Date()
        let store = try IndexStore(path: indexPath, access: .write(create: true, wait: .wait(notice: { pid in
            warn("waiting for another engram index on \(indexPath)\(pid > 0 ? " (pid \(pid))" : "")")
        })))
        if !store.migratedMemory.isEmpty {
            do {
                let session = try MemorySession(index: store, memoryPath: memoryPath, profile: "default", config: MemoryConfig())
                try session.adopt(store.migratedMemory, notice: warn)
            } catch {
                warn("could not move the memory recorded inside \(indexPath) to \(memoryPath): \(error)")
            }
        }
        let indexer = try Indexer(store: store, encoder: encoder)
        // As `engram index`: the vectors' number format, and the folders the index is built from (status shows both).
        try store.write { try store.setMeta("precision", encoder.precision.rawValue) }
        var total = IndexSummary()
        var warnings: [IndexWarning] = []
        for path in paths {
            let s = try indexer.index(folder: path, walker: walker, warn: { warnings.append($0) })
            total.added += s.added; total.updated += s.updated; total.unchanged += s.unchanged; total.moved += s.moved
            total.removed += s.removed; total.skipped += s.skipped; total.errors += s.errors; total.unsupported += s.unsupported
            total.chunksEmbedded += s.chunksEmbedded; total.chunksReused += s.chunksReused
            let root = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
            try store.write { try store.addRoot(root) }
        }
        store.refreshSearchSegment { warnings.append(IndexWarning(kind: .warning, path: store.segmentPath, reason: $0)) }
        total.seconds = Date().timeIntervalSince(started)
        return ServiceIndexResult(summary: total, warnings: warnings)
    }
}
