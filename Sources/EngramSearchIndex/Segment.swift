import CSearchIndex
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A sealed, memory-mapped copy of an index's search structures, beside the SQLite file: chunk rows,
/// the vector graph (whose nodes hold the float32 vectors) and block-skipping postings. A process maps
/// it and touches only the pages a query needs, so opening costs the same at ten thousand chunks as at
/// a million. It covers the chunks up to `coveredChunkID` as of one committed snapshot; chunks added
/// since are read from SQLite, chunks deleted since are listed there (`deleted_chunks`).
public final class Segment: @unchecked Sendable {
    public let path: String
    public let dimension: Int
    public let rows: Int
    public let documents: Int
    public let termCount: Int
    /// The largest chunk id of the snapshot it was built from.
    public let coveredChunkID: Int64
    /// Sum of the rows' lexical lengths (BM25's mean length).
    public let totalLength: Int
    /// The id of the index it belongs to.
    public let indexID: String
    /// Chunks whose stored vector was damaged when it was built (they score 0).
    public let damaged: Int
    /// Bytes on disk.
    public let byteCount: Int

    let base: UnsafeRawPointer
    var graph: engram_graph_view
    public let hasGraph: Bool
    private let sections: [Int]

    /// Maps the segment at `path`; throws `SegmentError.unreadable` when it is missing, truncated or not a segment.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SegmentError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size >= SegmentLayout.headerSize else {
            throw SegmentError.unreadable(path: path, reason: "shorter than a segment header")
        }
        let size = Int(st.st_size)
        guard let map = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            throw SegmentError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        // Queries touch scattered nodes: without this, each fault maps 16 neighbouring pages too, and a
        // search at a million chunks would hold hundreds of megabytes it never reads.
        madvise(map, size, MADV_RANDOM)
        let base = UnsafeRawPointer(map)
        func u64(_ at: Int) -> Int { Int(base.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        func u32(_ at: Int) -> Int { Int(base.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        func string(_ at: Int) -> String {
            let bytes = UnsafeRawBufferPointer(start: base + at, count: SegmentLayout.stringSize)
            return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        guard Array(UnsafeRawBufferPointer(start: base, count: 8)) == SegmentLayout.magic,
              UInt32(u32(SegmentLayout.versionAt)) == SegmentLayout.version else {
            munmap(map, size)
            throw SegmentError.unreadable(path: path, reason: "not an engram segment of this version")
        }
        self.base = base
        byteCount = size
        dimension = u32(SegmentLayout.dimensionAt)
        coveredChunkID = Int64(bitPattern: UInt64(u64(SegmentLayout.coveredAt)))
        rows = u64(SegmentLayout.rowsAt)
        documents = u64(SegmentLayout.docsAt)
        termCount = u64(SegmentLayout.termsAt)
        totalLength = u64(SegmentLayout.totalLengthAt)
        hasGraph = u32(SegmentLayout.hasGraphAt) != 0
        indexID = string(SegmentLayout.indexIDAt)
        damaged = u32(SegmentLayout.hasGraphAt + 4)
        sections = SegmentLayout.Section.allCases.map { u64(SegmentLayout.sectionsAt + 8 * $0.rawValue) }
        guard sections.allSatisfy({ $0 <= size }) else {
            munmap(map, size)
            throw SegmentError.unreadable(path: path, reason: "truncated")
        }
        let g = SegmentLayout.graphAt
        graph = engram_graph_view()
        graph.elements = UInt64(u64(g))
        graph.size_per_element = UInt64(u64(g + 8))
        graph.offset_data = UInt64(u64(g + 16))
        graph.label_offset = UInt64(u64(g + 24))
        graph.size_links = UInt64(u64(g + 32))
        graph.max_m = UInt64(u64(g + 40))
        graph.max_m0 = UInt64(u64(g + 48))
        graph.m = UInt64(u64(g + 56))
        graph.ef_construction = UInt64(u64(g + 64))
        graph.mult = base.loadUnaligned(fromByteOffset: g + 72, as: Double.self)
        graph.max_level = base.loadUnaligned(fromByteOffset: g + 80, as: Int32.self)
        graph.entry_point = base.loadUnaligned(fromByteOffset: g + 84, as: UInt32.self)
        graph.num_deleted = UInt64(u64(g + 88))
        graph.dim = UInt32(dimension)
        graph.level0 = (base + sections[SegmentLayout.Section.level0.rawValue]).assumingMemoryBound(to: CChar.self)
        graph.upper_offsets = (base + sections[SegmentLayout.Section.upperOffsets.rawValue]).assumingMemoryBound(to: UInt64.self)
        graph.upper = (base + sections[SegmentLayout.Section.upper.rawValue]).assumingMemoryBound(to: CChar.self)
        let graphEnd = sections[SegmentLayout.Section.level0.rawValue] + Int(graph.elements * graph.size_per_element)
        guard graphEnd <= size, !hasGraph || graph.elements >= UInt64(rows) else {
            munmap(map, size)
            throw SegmentError.unreadable(path: path, reason: "truncated graph")
        }
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), byteCount) }

    private func section<T>(_ s: SegmentLayout.Section, _: T.Type) -> UnsafePointer<T> {
        (base + sections[s.rawValue]).assumingMemoryBound(to: T.self)
    }

    // MARK: Rows and documents

    public func chunkID(row: Int) -> Int64 { section(.rowChunk, Int64.self)[row] }
    public func documentID(row: Int) -> Int64 { section(.rowDocument, Int64.self)[row] }
    public func length(row: Int) -> Int { Int(section(.rowLength, UInt32.self)[row]) }
    var lengths: UnsafePointer<UInt32> { section(.rowLength, UInt32.self) }

    /// The row of a chunk id, by binary search.
    public func row(ofChunk id: Int64) -> Int? {
        Self.search(section(.rowChunk, Int64.self), rows, id)
    }

    /// The rows of a document's chunks.
    public func rows(ofDocument id: Int64) -> [Int] {
        guard let d = Self.search(section(.documentIDs, Int64.self), documents, id) else { return [] }
        let start = section(.documentStart, UInt32.self), slots = section(.documentRows, UInt32.self)
        return (Int(start[d])..<Int(start[d + 1])).map { Int(slots[$0]) }
    }

    /// Every `stride`-th document id, a fixed sample of the index.
    public func sampleDocuments(_ count: Int) -> [Int64] {
        guard documents > 0 else { return [] }
        let ids = section(.documentIDs, Int64.self)
        if documents <= count { return Array(UnsafeBufferPointer(start: ids, count: documents)) }
        return (0..<count).map { ids[$0 * documents / count] }
    }

    private static func search(_ sorted: UnsafePointer<Int64>, _ count: Int, _ id: Int64) -> Int? {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo < count && sorted[lo] == id ? lo : nil
    }

    // MARK: Vectors

    /// The vector of a row (its graph node's).
    public func vector(row: Int) -> UnsafePointer<Float> {
        withUnsafePointer(to: graph) { engram_graph_vector($0, section(.rowNode, UInt32.self)[row]) }
    }

    /// Cosine (dot product of unit vectors) of `query` with the given rows.
    public func scores(_ query: [Float], rows wanted: [Int]) -> [Float] {
        let nodes = section(.rowNode, UInt32.self)
        let ids = wanted.map { nodes[$0] }
        var out = [Float](repeating: 0, count: wanted.count)
        withUnsafePointer(to: graph) { g in engram_graph_scores(g, query, ids, ids.count, &out) }
        return out
    }

    /// Cosines of several queries with the given rows, each row's vector read once: `[query][row]`.
    public func scores(_ queries: [[Float]], rows wanted: [Int]) -> [[Float]] {
        guard queries.count > 1 else { return queries.map { scores($0, rows: wanted) } }
        let nodes = section(.rowNode, UInt32.self)
        let ids = wanted.map { nodes[$0] }
        let flat = queries.flatMap { $0 }
        var out = [Float](repeating: 0, count: queries.count * wanted.count)
        withUnsafePointer(to: graph) { g in engram_graph_scores_many(g, flat, queries.count, ids, ids.count, &out) }
        return (0..<queries.count).map { Array(out[$0 * wanted.count..<($0 + 1) * wanted.count]) }
    }

    /// Cosine of `query` with every row, in row order (the exact scan).
    public func scanAll(_ query: [Float]) -> [Float] {
        populateVectors()
        var out = [Float](repeating: 0, count: rows)
        let nodes = section(.rowNode, UInt32.self)
        let parts = rows >= 50_000 ? 2 : 1
        let box = UncheckedSendable((g: graph, q: query, out: out.withUnsafeMutableBufferPointer { $0.baseAddress! }, nodes: nodes))
        let n = rows
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            let lo = n * p / parts, hi = n * (p + 1) / parts
            var g = box.value.g
            box.value.q.withUnsafeBufferPointer { q in
                let ids = Array(UnsafeBufferPointer(start: box.value.nodes + lo, count: hi - lo))
                engram_graph_scores(&g, q.baseAddress, ids, ids.count, box.value.out + lo)
            }
        }
        return out
    }

    /// Maps every vector page in one call before a scan reads them all: page by page (the mapping is
    /// `MADV_RANDOM`), a cold process would take a fault per 4 KB, a third of a small index's search.
    private func populateVectors() {
        guard !populated else { return }
        populated = true
        let start = Int(bitPattern: UnsafeRawPointer(graph.level0)), page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let aligned = start / page * page
        let length = start - aligned + Int(graph.elements * graph.size_per_element)
        _ = madvise(UnsafeMutableRawPointer(bitPattern: aligned), length, 22 /* MADV_POPULATE_READ, Linux 5.14 */)
    }
    private var populated = false

    /// The `k` rows nearest to `query` through the graph with a beam of `ef`, best first.
    public func nearest(_ query: [Float], k: Int, ef: Int) -> [(row: Int, score: Float)] {
        guard hasGraph, k > 0 else { return [] }
        var nodes = [UInt32](repeating: 0, count: k), scores = [Float](repeating: 0, count: k)
        let found = withUnsafePointer(to: graph) { engram_graph_search($0, query, k, ef, &nodes, &scores) }
        var out: [(row: Int, score: Float)] = []
        out.reserveCapacity(found)
        for j in 0..<found {
            let label = withUnsafePointer(to: graph) { engram_graph_label($0, nodes[j]) }
            if let row = row(ofChunk: label) { out.append((row, scores[j])) }
        }
        return out
    }

    // MARK: Postings

    /// A term's postings, or nil when no row holds it.
    public func postings(_ term: String) -> engram_term_postings? {
        let index = section(.termIndex, UInt8.self), strings = section(.termStrings, UInt8.self)
        let key = Array(term.utf8)
        var lo = 0, hi = termCount
        func entry(_ i: Int) -> UnsafeRawPointer { UnsafeRawPointer(index + i * SegmentLayout.termEntrySize) }
        func compare(_ i: Int) -> Int32 {
            let e = entry(i)
            let offset = Int(e.loadUnaligned(as: UInt64.self)), length = Int(e.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            let n = min(length, key.count)
            let c = n == 0 ? 0 : key.withUnsafeBufferPointer { memcmp(strings + offset, $0.baseAddress!, n) }
            if c != 0 { return c }
            return length == key.count ? 0 : (length < key.count ? -1 : 1)
        }
        while lo < hi {
            let mid = (lo + hi) / 2
            if compare(mid) < 0 { lo = mid + 1 } else { hi = mid }
        }
        guard lo < termCount, compare(lo) == 0 else { return nil }
        let e = entry(lo)
        let df = Int(e.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let at = Int(e.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        var p = engram_term_postings()
        p.rows = (base + at).assumingMemoryBound(to: UInt32.self)
        p.tfs = (base + at + 4 * df).assumingMemoryBound(to: UInt16.self)
        p.blocks = (base + SegmentLayout.align(at + 6 * df, 16)).assumingMemoryBound(to: engram_block.self)
        p.count = UInt32(df)
        return p
    }

    /// The `k` rows with the highest BM25 for terms with their weights (idf × query count), best first.
    public func bm25Top(_ terms: [(postings: engram_term_postings, weight: Double)], average: Double, k1: Double, b: Double,
                        excluded: [UInt64]?, k: Int) -> [(row: Int, score: Double)] {
        guard !terms.isEmpty, k > 0 else { return [] }
        var list = terms.map { t -> engram_term_postings in var p = t.postings; p.weight = t.weight; return p }
        var rowsOut = [UInt32](repeating: 0, count: k), scoresOut = [Double](repeating: 0, count: k)
        let found = excluded.map { ex in
            ex.withUnsafeBufferPointer { engram_bm25_top(&list, list.count, lengths, average, k1, b, $0.baseAddress, k, &rowsOut, &scoresOut) }
        } ?? engram_bm25_top(&list, list.count, lengths, average, k1, b, nil, k, &rowsOut, &scoresOut)
        return (0..<found).map { (Int(rowsOut[$0]), scoresOut[$0]) }
    }
}

/// Why a segment could not be used.
public enum SegmentError: Error, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case buildFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): \(reason)"
        case .buildFailed(let path, let reason): return "\(path): cannot build the search segment: \(reason)"
        }
    }
}

struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
