import EngramSearchIndex
import EngramStore
import Foundation

/// What a reader holds of an index for search, loaded once per process from one snapshot: the mapped
/// segment (EngramSearchIndex), and from SQLite only the chunks it does not cover (added or changed
/// since it was built). Without a segment every chunk is read from SQLite and scanned exactly.
final class SearchData {
    let segment: Segment?
    /// Segment rows whose chunk changed or left since it was built, as a set and as a bitset.
    let excludedRows: Set<Int>
    let excludedBits: [UInt64]?
    /// Chunks outside the segment: their vectors, documents and lengths.
    let tail: VectorIndex
    let tailDocument: [Int64: Int64]
    let tailLength: [Int64: Int]
    /// Covered chunks that changed and still exist: their postings are read from SQLite.
    let changedLive: [Int64]
    let covered: Int64
    let chunkCount: Int
    let averageLength: Double

    init(store: IndexStore, dimension: Int, warn: (String) -> Void) throws {
        var segment: Segment?
        if FileManager.default.fileExists(atPath: store.segmentPath) {
            do {
                let s = try Segment(path: store.segmentPath)
                if try SegmentBuilder.matches(s, store: store, dimension: dimension) {
                    segment = s
                } else {
                    warn("\(store.segmentPath) belongs to another index: searching every chunk exactly until `engram index` rebuilds it")
                }
            } catch {
                warn("\(error): searching every chunk exactly until `engram index` rebuilds it")
            }
        }
        let covered = segment?.coveredChunkID ?? 0
        let changed = segment == nil ? [] : try store.changedChunks()
        let rows = try store.chunkRows(after: covered)
        var excluded = Set<Int>()
        var lengthLeft = 0
        if let segment {
            for id in changed { if let r = segment.row(ofChunk: id) { excluded.insert(r); lengthLeft += segment.length(row: r) } }
        }
        var bits: [UInt64]?
        if let segment, !excluded.isEmpty {
            var b = [UInt64](repeating: 0, count: segment.rows / 64 + 1)
            for r in excluded { b[r / 64] |= 1 << UInt64(r % 64) }
            bits = b
        }
        var tailDocument: [Int64: Int64] = [:], tailLength: [Int64: Int] = [:]
        tailDocument.reserveCapacity(rows.count)
        tailLength.reserveCapacity(rows.count)
        for r in rows { tailDocument[r.id] = r.documentID; tailLength[r.id] = r.length }
        // The tail's vectors, in the order of `rows`; a damaged one is left out with a warning.
        var ids: [Int64] = [], docs: [Int64] = [], matrix: [Float] = [], damaged: [Int64] = []
        ids.reserveCapacity(rows.count)
        matrix.reserveCapacity(rows.count * dimension)
        func add(_ id: Int64, _ blob: UnsafeRawBufferPointer) {
            guard let document = tailDocument[id] else { return }  // an orphan vector (`engram check` reports it)
            let values = blob.count == dimension * 4 ? Array(blob.bindMemory(to: Float.self)) : []
            guard values.count == dimension, values.allSatisfy(\.isFinite) else { damaged.append(id); return }
            ids.append(id)
            docs.append(document)
            matrix.append(contentsOf: values)
        }
        try store.forEachVector(after: covered) { id, blob in add(id, blob) }
        try store.forEachVector(of: changed.filter { tailDocument[$0] != nil }.sorted(), add)
        let builtDamaged = segment?.damaged ?? 0
        if !damaged.isEmpty || builtDamaged > 0 {
            let n = damaged.count + builtDamaged
            let listed = damaged.prefix(3).map(String.init).joined(separator: ", ")
            warn("\(n) damaged vector\(n == 1 ? "" : "s") in \(store.path) left out of search"
                 + (listed.isEmpty ? "" : " (chunk \(listed)\(damaged.count > 3 ? ", …" : ""))")
                 + ": run `engram check --repair --index \(store.path)`")
        }
        if segment == nil, rows.count >= SegmentBuilder.alwaysFoldBelow {
            warn("\(store.path) has no search segment: each search reads all \(rows.count) chunks (`engram index` builds it)")
        }
        self.segment = segment
        self.covered = covered
        excludedRows = excluded
        excludedBits = bits
        tail = VectorIndex(dimension: dimension, chunkIDs: ids, documentIDs: docs, matrix: matrix)
        self.tailDocument = tailDocument
        self.tailLength = tailLength
        changedLive = changed.filter { tailDocument[$0] != nil }
        let segmentRows = (segment?.rows ?? 0) - excluded.count
        chunkCount = segmentRows + rows.count
        let total = (segment?.totalLength ?? 0) - lengthLeft + rows.reduce(0) { $0 + $1.length }
        averageLength = chunkCount > 0 ? Double(total) / Double(chunkCount) : 0
    }

    /// The document of a chunk, if the index still holds it.
    func document(ofChunk id: Int64) -> Int64? {
        if let d = tailDocument[id] { return d }
        if let segment, let r = segment.row(ofChunk: id), !excludedRows.contains(r) { return segment.documentID(row: r) }
        return nil
    }

    /// Rows of a fixed sample of the segment's documents (changed chunks left out), found on first use.
    func sampleRows(_ count: Int) -> RowGroups {
        if let s = sample { return s }
        var groups = RowGroups()
        if let segment {
            for d in segment.sampleDocuments(count) { groups.add(d, segment.rows(ofDocument: d).filter { !excludedRows.contains($0) }) }
        }
        sample = groups
        return groups
    }
    private var sample: RowGroups?

    /// The lexical length of a chunk.
    func length(ofChunk id: Int64) -> Int? {
        if let l = tailLength[id] { return l }
        if let segment, let r = segment.row(ofChunk: id), !excludedRows.contains(r) { return segment.length(row: r) }
        return nil
    }

    /// The stored vector of a chunk.
    func vector(ofChunk id: Int64) -> [Float]? {
        if let r = tail.row(ofChunk: id) { return tail.row(r) }
        if let segment, let r = segment.row(ofChunk: id), !excludedRows.contains(r) {
            return Array(UnsafeBufferPointer(start: segment.vector(row: r), count: segment.dimension))
        }
        return nil
    }
}

/// Segment rows grouped by document, for scoring candidate documents in one pass: `groups[k]` holds
/// `rows[start..<end]`, all of one document's rows.
struct RowGroups {
    var rows: [Int] = []
    var groups: [(document: Int64, start: Int, end: Int)] = []
    var documents = Set<Int64>()

    /// Adds a document's rows, once per document.
    mutating func add(_ document: Int64, _ documentRows: [Int]) {
        guard documents.insert(document).inserted else { return }
        groups.append((document, rows.count, rows.count + documentRows.count))
        rows += documentRows
    }
}
