import CSearchIndex
import EngramStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a segment file section by section (layout: `SegmentLayout`), then its header.
final class SegmentWriter {
    let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var position = 0
    private var sections = [Int](repeating: 0, count: SegmentLayout.Section.allCases.count)
    private var termIndex: [UInt8] = [], termStrings: [UInt8] = []
    private var terms = 0

    init(path: String) throws {
        self.path = path
        guard let f = fopen(path, "wb") else { throw SegmentError.buildFailed(path: path, reason: String(cString: strerror(errno))) }
        file = f
        setvbuf(f, nil, _IOFBF, 1 << 20)
        try put(bytes: [UInt8](repeating: 0, count: SegmentLayout.headerSize))
    }

    private var closed = false

    /// Closes and deletes the temporary file (after a failure).
    func abandon() {
        if !closed { fclose(file) }
        closed = true
        unlink(path)
    }

    private func put(raw: UnsafeRawBufferPointer) throws {
        guard raw.count > 0 else { return }
        guard fwrite(raw.baseAddress, 1, raw.count, file) == raw.count else {
            throw SegmentError.buildFailed(path: path, reason: String(cString: strerror(errno)))
        }
        position += raw.count
    }

    private func put<T>(_ values: [T]) throws { try values.withUnsafeBytes { try put(raw: $0) } }
    private func put(bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try put(raw: $0) } }

    private func pad(_ to: Int = 64) throws {
        let n = SegmentLayout.align(position, to) - position
        if n > 0 { try put(bytes: [UInt8](repeating: 0, count: n)) }
    }

    private func begin(_ s: SegmentLayout.Section) throws {
        try pad()
        sections[s.rawValue] = position
    }

    /// Rows, the document index and the graph.
    func write(ids: [Int64], documents: [Int64], lengths: [UInt32], rowNode: [UInt32], graph: OpaquePointer,
               view: engram_graph_view) throws {
        rowsWritten = ids.count
        rowLengths = lengths
        try begin(.rowChunk); try put(ids)
        try begin(.rowDocument); try put(documents)
        try begin(.rowLength); try put(lengths)
        try begin(.rowNode); try put(rowNode)

        let byDocument = (0..<ids.count).sorted { documents[$0] != documents[$1] ? documents[$0] < documents[$1] : $0 < $1 }
        var documentIDs: [Int64] = [], starts: [UInt32] = []
        for (slot, row) in byDocument.enumerated() where documentIDs.last != documents[row] {
            documentIDs.append(documents[row])
            starts.append(UInt32(slot))
        }
        starts.append(UInt32(ids.count))
        try begin(.documentIDs); try put(documentIDs)
        try begin(.documentStart); try put(starts)
        try begin(.documentRows); try put(byDocument.map { UInt32($0) })
        documentCount = documentIDs.count

        try begin(.level0)
        try put(raw: UnsafeRawBufferPointer(start: view.level0, count: Int(view.elements * view.size_per_element)))
        try begin(.upperOffsets)
        try put(raw: UnsafeRawBufferPointer(start: view.upper_offsets, count: 8 * (Int(view.elements) + 1)))
        try begin(.upper)
        for node in 0..<view.elements {
            var length: UInt64 = 0
            if let bytes = engram_graph_upper(graph, node, &length), length > 0 {
                try put(raw: UnsafeRawBufferPointer(start: bytes, count: Int(length)))
            }
        }
    }
    private var documentCount = 0

    /// Postings, streamed from the store in (term, chunk) order.
    func writePostings(store: IndexStore, ids: [Int64]) throws {
        try begin(.postings)
        var term: [UInt8] = [], rows: [UInt32] = [], tfs: [UInt16] = []
        func flush() throws {
            guard !rows.isEmpty else { return }
            try pad(16)
            let at = position
            try put(rows)
            try put(tfs)
            try pad(16)
            var blocks: [engram_block] = []
            var start = 0
            while start < rows.count {
                let end = min(start + Int(ENGRAM_BLOCK), rows.count)
                var block = engram_block(last_row: rows[end - 1], max_tf: 0, min_length: .max, reserved: 0)
                for i in start..<end {
                    block.max_tf = max(block.max_tf, UInt32(tfs[i]))
                    block.min_length = min(block.min_length, rowLengths[Int(rows[i])])
                }
                blocks.append(block)
                start = end
            }
            try put(blocks)
            var entry = [UInt8](repeating: 0, count: SegmentLayout.termEntrySize)
            entry.withUnsafeMutableBytes { e in
                e.storeBytes(of: UInt64(termStrings.count), toByteOffset: 0, as: UInt64.self)
                e.storeBytes(of: UInt32(term.count), toByteOffset: 8, as: UInt32.self)
                e.storeBytes(of: UInt32(rows.count), toByteOffset: 12, as: UInt32.self)
                e.storeBytes(of: UInt64(at), toByteOffset: 16, as: UInt64.self)
            }
            termIndex += entry
            termStrings += term
            terms += 1
            rows.removeAll(keepingCapacity: true)
            tfs.removeAll(keepingCapacity: true)
        }
        try store.forEachPosting { bytes, chunk, tf in
            if !bytes.elementsEqual(term) {
                try flush()
                term = Array(bytes)
            }
            guard let row = SegmentBuilder.binarySearch(ids, chunk) else { return }
            rows.append(UInt32(row))
            tfs.append(UInt16(clamping: tf))
        }
        try flush()
        try begin(.termIndex); try put(bytes: termIndex)
        try begin(.termStrings); try put(bytes: termStrings)
    }
    /// Chunk lengths by row, for the blocks' bounds.
    private var rowLengths: [UInt32] = []

    /// The header, then flush and fsync; the caller renames the file into place.
    func finish(dimension: Int, covered: Int64, totalLength: Int, hasGraph: Bool, view: engram_graph_view, damaged: Int,
                indexID: String) throws {
        var header = [UInt8](repeating: 0, count: SegmentLayout.headerSize)
        header.withUnsafeMutableBytes { h in
            for (i, b) in SegmentLayout.magic.enumerated() { h[i] = b }
            h.storeBytes(of: SegmentLayout.version, toByteOffset: SegmentLayout.versionAt, as: UInt32.self)
            h.storeBytes(of: UInt32(dimension), toByteOffset: SegmentLayout.dimensionAt, as: UInt32.self)
            h.storeBytes(of: UInt64(bitPattern: covered), toByteOffset: SegmentLayout.coveredAt, as: UInt64.self)
            h.storeBytes(of: UInt64(rowsWritten), toByteOffset: SegmentLayout.rowsAt, as: UInt64.self)
            h.storeBytes(of: UInt64(documentCount), toByteOffset: SegmentLayout.docsAt, as: UInt64.self)
            h.storeBytes(of: UInt64(terms), toByteOffset: SegmentLayout.termsAt, as: UInt64.self)
            h.storeBytes(of: UInt64(totalLength), toByteOffset: SegmentLayout.totalLengthAt, as: UInt64.self)
            h.storeBytes(of: UInt32(hasGraph ? 1 : 0), toByteOffset: SegmentLayout.hasGraphAt, as: UInt32.self)
            h.storeBytes(of: UInt32(clamping: damaged), toByteOffset: SegmentLayout.hasGraphAt + 4, as: UInt32.self)
            let g = SegmentLayout.graphAt
            let fields: [UInt64] = [view.elements, view.size_per_element, view.offset_data, view.label_offset, view.size_links,
                                    view.max_m, view.max_m0, view.m, view.ef_construction]
            for (i, f) in fields.enumerated() { h.storeBytes(of: f, toByteOffset: g + 8 * i, as: UInt64.self) }
            h.storeBytes(of: view.mult, toByteOffset: g + 72, as: Double.self)
            h.storeBytes(of: view.max_level, toByteOffset: g + 80, as: Int32.self)
            h.storeBytes(of: view.entry_point, toByteOffset: g + 84, as: UInt32.self)
            h.storeBytes(of: view.num_deleted, toByteOffset: g + 88, as: UInt64.self)
            for (i, offset) in sections.enumerated() {
                h.storeBytes(of: UInt64(offset), toByteOffset: SegmentLayout.sectionsAt + 8 * i, as: UInt64.self)
            }
            for (at, text) in [(SegmentLayout.indexIDAt, indexID)] {
                for (i, b) in text.utf8.prefix(SegmentLayout.stringSize - 1).enumerated() { h[at + i] = b }
            }
        }
        guard fflush(file) == 0, fseek(file, 0, SEEK_SET) == 0,
              header.withUnsafeBytes({ fwrite($0.baseAddress, 1, $0.count, file) }) == header.count,
              fflush(file) == 0, fsync(fileno(file)) == 0 else {
            throw SegmentError.buildFailed(path: path, reason: String(cString: strerror(errno)))
        }
        // Written pages sit in the page cache as large folios, and a reader's fault maps a whole folio: a
        // search touching a few thousand scattered nodes would map most of the file. Dropped now, the
        // pages come back one by one as readers fault them in (`MADV_RANDOM`: no read-ahead).
        _ = posix_fadvise(fileno(file), 0, 0, POSIX_FADV_DONTNEED)
        fclose(file)
        closed = true
    }
    private var rowsWritten = 0
}
