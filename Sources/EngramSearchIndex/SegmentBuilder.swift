import CSearchIndex
import EngramStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Builds an index's search segment from one snapshot of its SQLite file, or brings it up to date:
/// the graph is loaded from the previous segment and changed in place (deleted chunks marked, new and
/// re-embedded ones inserted) unless too much of it is dead; rows and postings are written afresh.
/// The new file replaces the old one with a rename, so a crash at any point leaves the old segment or
/// the new one, and search stays right with either (see `IndexStore+Segment`).
public enum SegmentBuilder {
    /// HNSW parameters: M = 16 links per node (32 on level 0) and a construction beam of 128 reach a
    /// recall@10 above 0.95 at ef 256 on MiniLM vectors of the six collections (docs/research.md).
    public static let links = 16
    public static let constructionBeam = 128
    /// Below this many chunks a segment is rebuilt after every change; above it, changes wait in SQLite
    /// until they reach `foldShare` of the segment (a million-chunk rewrite is minutes, a lookup of a
    /// few thousand chunks in SQLite is milliseconds).
    public static let alwaysFoldBelow = 100_000
    public static let foldShare = 0.05
    /// A graph with more dead nodes than this share is built again rather than patched.
    public static let rebuildDeadShare = 0.3

    public struct Result: Sendable {
        public var rows = 0
        public var inserted = 0
        public var deleted = 0
        public var incremental = false
        public var damaged = 0
        public var seconds = 0.0
        public var bytes = 0
    }

    /// Whether the index has chunks the segment does not cover, enough to fold in now.
    public static func needsRefresh(store: IndexStore, dimension: Int) throws -> Bool {
        guard let segment = try? Segment(path: store.segmentPath), try matches(segment, store: store, dimension: dimension) else {
            return true
        }
        let (outside, changed) = try store.read {
            (try store.chunkRows(after: segment.coveredChunkID).count, try store.changedChunks().count)
        }
        let pending = outside + changed
        if pending == 0 { return false }
        return segment.rows < alwaysFoldBelow || Double(pending) >= foldShare * Double(segment.rows)
    }

    /// Whether a segment belongs to this index and model.
    public static func matches(_ segment: Segment, store: IndexStore, dimension: Int) throws -> Bool {
        let id = try store.meta("id") ?? ""
        return segment.indexID == id && segment.dimension == dimension
    }

    /// Refreshes the segment when `needsRefresh` says so (or always, with `force`). Call on a writer.
    @discardableResult
    public static func refresh(store: IndexStore, dimension: Int, force: Bool = false) throws -> Result? {
        if !force, !(try needsRefresh(store: store, dimension: dimension)) { return nil }
        return try build(store: store, dimension: dimension)
    }

    /// Writes the segment for the index's current content.
    public static func build(store: IndexStore, dimension: Int) throws -> Result {
        let started = Date()
        let path = store.segmentPath, temporary = path + ".tmp"
        let previous = (try? Segment(path: path)).flatMap { try? matches($0, store: store, dimension: dimension) == true ? $0 : nil }
        var result = Result()
        let indexID = try store.meta("id") ?? ""
        // The temporary file exists for the whole build: a crash at any point leaves it, never a half-written segment.
        let writer = try SegmentWriter(path: temporary)
        let covered: Int64 = try store.read {
            // 1. Rows: every chunk, by id.
            var ids: [Int64] = [], documents: [Int64] = [], lengths: [UInt32] = []
            var totalLength = 0
            try store.forEachChunkRow { row in
                ids.append(row.id)
                documents.append(row.documentID)
                lengths.append(UInt32(clamping: row.length))
                totalLength += row.length
            }
            result.rows = ids.count

            // 2. The graph: patched from the previous segment, or built anew.
            let changed = Set(try store.changedChunks())
            var finished = false
            defer { if !finished { writer.abandon() } }
            let (graph, incremental, insertedAbove, reinserted) = try Self.graph(
                previous: previous, ids: ids, changed: changed, dimension: dimension, result: &result)
            defer { engram_graph_free(graph) }
            result.incremental = incremental
            var damaged = 0
            try insert(into: graph, store: store, above: insertedAbove, also: reinserted, dimension: dimension,
                       damaged: &damaged, inserted: &result.inserted, path: path)
            result.damaged = damaged

            // 3. Node of each row.
            var view = engram_graph_view_of(graph)
            defer { free(UnsafeMutableRawPointer(mutating: view.upper_offsets)) }
            var rowNode = [UInt32](repeating: .max, count: ids.count)
            for node in 0..<Int(view.elements) where engram_graph_is_deleted(&view, UInt32(node)) == 0 {
                if let row = binarySearch(ids, engram_graph_label(&view, UInt32(node))) { rowNode[row] = UInt32(node) }
            }
            if let missing = rowNode.firstIndex(of: .max) {
                throw SegmentError.buildFailed(path: path, reason: "chunk \(ids[missing]) has no vector (run `engram check --repair`)")
            }

            // 4. The file.
            do {
                try writer.write(ids: ids, documents: documents, lengths: lengths, rowNode: rowNode, graph: graph, view: view)
                try writer.writePostings(store: store, ids: ids)
                try writer.finish(dimension: dimension, covered: ids.last ?? 0, totalLength: totalLength, hasGraph: !ids.isEmpty,
                                  view: view, damaged: damaged, indexID: indexID)
            }
            finished = true
            return ids.last ?? 0
        }
        // Chunk ids stay above `covered` before the file appears; the changes it folds in are cleared after.
        try store.write { try store.setSegmentCovered(max(covered, try store.segmentCovered())) }
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw SegmentError.buildFailed(path: path, reason: String(cString: strerror(errno)))
        }
        syncFolder(of: path)
        try store.write { try store.clearChangedChunks() }
        result.bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        result.seconds = Date().timeIntervalSince(started)
        return result
    }

    /// The graph to extend, whether it was patched, the id above which every vector goes in, and the
    /// covered chunks to insert again (re-embedded ones).
    private static func graph(previous: Segment?, ids: [Int64], changed: Set<Int64>, dimension: Int, result: inout Result)
        throws -> (OpaquePointer, Bool, Int64, [Int64])
    {
        if let previous, previous.hasGraph, previous.coveredChunkID > 0 {
            var view = previous.graph
            if let g = engram_graph_load(&view, UInt64(ids.count) + 1) {
                var deleted = 0, dead = Int(view.num_deleted)
                for node in 0..<UInt32(view.elements) where engram_graph_is_deleted(&view, node) == 0 {
                    let label = engram_graph_label(&view, node)
                    if binarySearch(ids, label) == nil {
                        _ = engram_graph_mark_deleted(g, label)
                        deleted += 1
                        dead += 1
                    }
                }
                if Double(dead) <= rebuildDeadShare * Double(max(view.elements, 1)) {
                    result.deleted = deleted
                    let again = changed.filter { $0 <= previous.coveredChunkID && binarySearch(ids, $0) != nil }.sorted()
                    return (g, true, previous.coveredChunkID, again)
                }
                engram_graph_free(g)
            }
        }
        let g = engram_graph_new(UInt32(dimension), UInt32(links), UInt32(constructionBeam), UInt64(max(ids.count, 1)))!
        return (g, false, 0, [])
    }

    /// Inserts the vectors of chunks above `above` and of `also`, in batches on every core.
    private static func insert(into graph: OpaquePointer, store: IndexStore, above: Int64, also: [Int64], dimension: Int,
                               damaged: inout Int, inserted: inout Int, path: String) throws {
        let batch = 8192
        var vectors: [Float] = [], labels: [Int64] = []
        vectors.reserveCapacity(batch * dimension)
        let threads = Int32(max(1, ProcessInfo.processInfo.activeProcessorCount))
        func flush() throws {
            guard !labels.isEmpty else { return }
            var message = [CChar](repeating: 0, count: 256)
            let rc = engram_graph_add(graph, vectors, labels, UInt64(labels.count), threads, &message, message.count)
            guard rc == 0 else {
                let text = message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
                throw SegmentError.buildFailed(path: path, reason: String(decoding: text, as: UTF8.self))
            }
            inserted += labels.count
            vectors.removeAll(keepingCapacity: true)
            labels.removeAll(keepingCapacity: true)
        }
        var failed = 0
        func add(_ id: Int64, _ blob: UnsafeRawBufferPointer) {
            let values = blob.count == dimension * 4 ? Array(blob.bindMemory(to: Float.self)) : []
            if values.count == dimension, values.allSatisfy(\.isFinite) {
                vectors.append(contentsOf: values)
            } else {
                // A damaged vector (search warns; `engram check --repair` re-embeds it) scores 0 with any query.
                vectors.append(contentsOf: repeatElement(0, count: dimension))
                failed += 1
            }
            labels.append(id)
        }
        try store.forEachVector(after: above) { id, blob in
            add(id, blob)
            if labels.count >= batch { try flush() }
        }
        try flush()
        try store.forEachVector(of: also) { id, blob in add(id, blob) }
        try flush()
        damaged = failed
    }

    static func binarySearch(_ sorted: [Int64], _ id: Int64) -> Int? {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.count && sorted[lo] == id ? lo : nil
    }

    private static func syncFolder(of path: String) {
        let fd = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
