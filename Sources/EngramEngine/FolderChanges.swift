import EngramEmbedding
import EngramStore
import EngramText
import Foundation

/// What one indexing run over a folder does with each file its walk finds, decided the same way whichever
/// store holds the index (the SQLite file, or PostgreSQL through `Postgres/`): an unchanged file costs a
/// `stat`; a file whose content is already indexed is moved (a `touch`, or a rename recognised by content
/// hash); a file that cannot be read keeps its documents; anything else is read and extracted for chunking.
/// The store applies the moves and writes the extracted documents; at the end `leftovers` are the documents
/// to delete.
public struct FolderChanges {
    /// What to do with one file.
    public enum Change {
        /// Nothing: unchanged, unreadable (its documents are kept), or skipped (counted and reported).
        case none
        /// Point the document `documentID` at the file (same content; new path or mtime).
        case move(documentID: Int64)
        /// New or changed content, to chunk and embed.
        case content(PendingDocument)
    }

    /// The folder, with symbolic links resolved.
    public let root: String
    /// The walk's result, the index's own files left out.
    public private(set) var walk: Walker.Result
    /// The documents already indexed under `root`, by path.
    public let existing: [String: IndexStore.Document]
    private let found: Set<String>
    /// Documents whose file is gone anywhere in the index, by content hash: candidates for a rename.
    private var vanished: [String: [IndexStore.Document]]
    private let extractor: TextExtractor
    private var missingTools = Set<String>()
    private var moved = Set<Int64>()
    /// Compressed files that inflate past the size limit: out, like any file over it.
    private var oversized = Set<String>()

    /// Walks `folder`, leaving out `ownFiles` (the index's own files, when it lies inside the folder); the
    /// walk's skipped files are counted in `summary` and reported through `warn`.
    public init(folder: String, walker: Walker, documents all: [IndexStore.Document], ownFiles: Set<String> = [],
                summary: inout IndexSummary, warn: (IndexWarning) -> Void) {
        root = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
        var walk = walker.walk(root)
        let skippedOwn = walk.skipped.filter { ownFiles.contains($0.path) }
        walk.files.removeAll { ownFiles.contains($0.path) }
        walk.skipped.removeAll { ownFiles.contains($0.path) }
        walk.unsupported -= skippedOwn.filter { $0.kind == .binary }.count
        self.walk = walk
        summary.unsupported = walk.unsupported
        for s in walk.skipped {
            summary.skip(s.kind)
            warn(IndexWarning(kind: .skipped, path: s.path, reason: s.reason, skip: s.kind))
        }
        let root = self.root, prefix = root.hasSuffix("/") ? root : root + "/"
        existing = Dictionary(all.filter { $0.path == root || $0.path.hasPrefix(prefix) }.map { ($0.path, $0) },
                              uniquingKeysWith: { a, _ in a })
        let found = Set(walk.files.map(\.path))
        self.found = found
        vanished = Dictionary(grouping: all.filter { !found.contains($0.path) && Indexer.isGone($0.path) }, by: \.hash)
        extractor = TextExtractor(maxDecompressedSize: Int(clamping: walker.maxFileSize))
    }

    /// The change `file` (one of `walk.files`) calls for; `summary` counts it unless it is content.
    public mutating func change(for file: FoundFile, summary: inout IndexSummary, warn: (IndexWarning) -> Void) -> Change {
        let old = existing[file.path]
        if let old, old.size == file.size, old.mtime == file.mtime {
            summary.unchanged += 1
            return .none
        }
        // A file whose name says nothing is opened for its first bytes only, unless they are text.
        if FileKind(path: file.path) == .unknown && !FileKind.isCompressed(file.path),
           let head = Indexer.head(file.path), !TextDecoding.looksLikeText(head) {
            summary.skip(.binary)
            summary.unsupported += 1
            warn(IndexWarning(kind: .skipped, path: file.path, reason: ExtractionError.binary.description, skip: .binary))
            return .none
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            summary.errors += 1
            warn(IndexWarning(kind: .error, path: file.path, reason: "cannot read file; its documents are kept"))
            return .none
        }
        let hash = SHA256.hex(data)
        if let old, old.hash == hash {
            summary.unchanged += 1  // touched, not changed
            return .move(documentID: old.id)
        }
        if old == nil, var candidates = vanished[hash], let source = candidates.popLast() {
            vanished[hash] = candidates
            moved.insert(source.id)
            summary.moved += 1
            return .move(documentID: source.id)
        }
        do {
            let extracted = try extractor.extract(path: file.path, data: data)
            for w in extracted.warnings { warn(IndexWarning(kind: .warning, path: file.path, reason: w)) }
            return .content(PendingDocument(path: file.path, size: file.size, mtime: file.mtime, hash: hash,
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
            return .none
        }
    }

    /// Documents under `root` that the walk no longer finds (deleted, now ignored, now over the size limit)
    /// and that no file took by a rename: they leave the index. Those under a file or folder the walk could
    /// not read stay until a run can.
    public var leftovers: [IndexStore.Document] {
        existing.values.filter {
            (!found.contains($0.path) || oversized.contains($0.path)) && !moved.contains($0.id) && !walk.isUnreachable($0.path)
        }
    }
}
