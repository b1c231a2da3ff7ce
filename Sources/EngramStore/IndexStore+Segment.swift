import Foundation

/// What the search segment (EngramSearchIndex) is built from, and what search reads from this file for
/// the chunks the segment does not cover: those added since it was built (ids above `segmentCovered`)
/// and those it covers that changed since (`changed_chunks`).
extension IndexStore {
    /// The segment file beside the index.
    public var segmentPath: String { path + ".segment" }

    /// The largest chunk id the segment covers (0 for none).
    public func segmentCovered() throws -> Int64 {
        Int64(try meta("segment_covered") ?? "") ?? 0
    }

    public func setSegmentCovered(_ id: Int64) throws {
        try setMeta("segment_covered", String(id))
    }

    /// Chunks the segment covers that were deleted or re-embedded since it was built.
    public func changedChunks() throws -> [Int64] {
        guard try hasTable("changed_chunks") else { return [] }
        let s = try db.statement("SELECT chunk_id FROM changed_chunks")
        var out: [Int64] = []
        while try s.step() { out.append(s.int(0)) }
        return out
    }

    public func clearChangedChunks() throws {
        try requireWrite()
        try db.run("DELETE FROM changed_chunks")
    }

    func hasTable(_ name: String) throws -> Bool {
        try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(name)]) ?? 0 > 0
    }

    public var chunkCount: Int { get throws { Int(try db.scalarInt("SELECT count(*) FROM chunks") ?? 0) } }

    // MARK: Chunks outside the segment

    /// A chunk the segment does not hold: its id, document and lexical length.
    public struct ChunkRow: Sendable {
        public let id: Int64
        public let documentID: Int64
        public let length: Int
    }

    /// Chunks with ids above `covered`, plus covered ones listed as changed that still exist, by id.
    public func chunkRows(after covered: Int64) throws -> [ChunkRow] {
        var sql = "SELECT id, document_id, lex_length FROM chunks WHERE id > ?"
        if covered > 0, try hasTable("changed_chunks") {
            sql += " UNION SELECT c.id, c.document_id, c.lex_length FROM changed_chunks x CROSS JOIN chunks c ON c.id = x.chunk_id"
        }
        let s = try db.statement(sql + " ORDER BY 1")
        try s.bind([.int(covered)])
        var out: [ChunkRow] = []
        while try s.step() { out.append(ChunkRow(id: s.int(0), documentID: s.int(1), length: Int(s.int(2)))) }
        return out
    }

    /// Calls `body` with each stored vector of the given chunks (ascending ids), as raw bytes.
    public func forEachVector(of ids: [Int64], _ body: (Int64, UnsafeRawBufferPointer) -> Void) throws {
        let s = try db.statement("SELECT vector FROM vectors WHERE chunk_id = ?")
        for id in ids {
            s.reset()
            try s.bind([.int(id)])
            if try s.step() { s.withBlob(0) { body(id, $0) } }
        }
    }

    /// Calls `body` with every stored vector whose chunk id is above `after`, in id order.
    public func forEachVector(after: Int64, _ body: (Int64, UnsafeRawBufferPointer) throws -> Void) throws {
        let s = try db.statement("SELECT chunk_id, vector FROM vectors WHERE chunk_id > ? ORDER BY chunk_id")
        try s.bind([.int(after)])
        while try s.step() {
            let id = s.int(0)
            try s.withBlob(1) { try body(id, $0) }
        }
    }

    /// Postings of a term among the given chunks: those above `after`, and `changed` ones.
    public func postings(_ term: String, after: Int64, changed: [Int64]) throws -> [(chunkID: Int64, tf: Int)] {
        let s = try db.statement("SELECT chunk_id, tf FROM postings WHERE term = ? AND chunk_id > ?")
        try s.bind([.text(term), .int(after)])
        var out: [(Int64, Int)] = []
        while try s.step() { out.append((s.int(0), Int(s.int(1)))) }
        if !changed.isEmpty {
            let one = try db.statement("SELECT tf FROM postings WHERE term = ? AND chunk_id = ?")
            for id in changed {
                one.reset()
                try one.bind([.text(term), .int(id)])
                if try one.step() { out.append((id, Int(one.int(0)))) }
            }
        }
        return out
    }

    /// Term frequencies of a term in the given chunks (those that hold it).
    public func termFrequencies(_ term: String, chunks: [Int64]) throws -> [(chunkID: Int64, tf: Int)] {
        let s = try db.statement("SELECT tf FROM postings WHERE term = ? AND chunk_id = ?")
        var out: [(Int64, Int)] = []
        for id in chunks {
            s.reset()
            try s.bind([.text(term), .int(id)])
            if try s.step() { out.append((id, Int(s.int(0)))) }
        }
        return out
    }

    /// A chunk's lexical terms and their frequencies.
    public func terms(ofChunk id: Int64) throws -> [String: Int] {
        let s = try db.statement("SELECT term, tf FROM postings WHERE chunk_id = ?")
        try s.bind([.int(id)])
        var out: [String: Int] = [:]
        while try s.step() { out[s.text(0)] = Int(s.int(1)) }
        return out
    }

    /// A chunk's lexical length.
    public func lexicalLength(ofChunk id: Int64) throws -> Int {
        Int(try db.scalarInt("SELECT lex_length FROM chunks WHERE id = ?", [.int(id)]) ?? 0)
    }

    // MARK: Building the segment

    /// Calls `body` with every chunk's id, document and lexical length, in id order.
    public func forEachChunkRow(_ body: (ChunkRow) throws -> Void) throws {
        let s = try db.statement("SELECT id, document_id, lex_length FROM chunks ORDER BY id")
        while try s.step() { try body(ChunkRow(id: s.int(0), documentID: s.int(1), length: Int(s.int(2)))) }
    }

    /// Calls `body` with every posting in (term, chunk id) order, the term as UTF-8 bytes valid inside the call.
    public func forEachPosting(_ body: (UnsafeRawBufferPointer, Int64, Int) throws -> Void) throws {
        let s = try db.statement("SELECT term, chunk_id, tf FROM postings ORDER BY term, chunk_id")
        while try s.step() {
            let id = s.int(1), tf = Int(s.int(2))
            try s.withTextBytes(0) { try body($0, id, tf) }
        }
    }
}
