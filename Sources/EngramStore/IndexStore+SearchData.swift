import Foundation

/// Whole-index reads (every vector, for tools such as an import) and FTS5; search itself reads the
/// segment and `IndexStore+Segment`.
extension IndexStore {
    /// Every chunk vector in one contiguous row-major matrix, with each row's chunk and document id.
    /// A damaged vector (wrong size, or a value that is not finite) is left out and counted in
    /// `damaged`, so one bad row costs only its own chunk (`engram check --repair` re-embeds it).
    public func loadVectors(dimension: Int) throws -> (chunkIDs: [Int64], documentIDs: [Int64], matrix: [Float], damaged: [Int64]) {
        try read {
            let count = Int(try db.scalarInt("SELECT count(*) FROM vectors") ?? 0)
            var chunkIDs: [Int64] = [], documentIDs: [Int64] = [], damaged: [Int64] = []
            chunkIDs.reserveCapacity(count)
            documentIDs.reserveCapacity(count)
            var matrix = [Float](repeating: 0, count: count * dimension)
            let s = try db.statement("SELECT v.chunk_id, c.document_id, v.vector FROM vectors v JOIN chunks c ON c.id = v.chunk_id")
            defer { s.reset() }
            var row = 0
            try matrix.withUnsafeMutableBytes { out in
                while try s.step() {
                    guard row < count else { break }
                    let ok = s.withBlob(2) { blob -> Bool in
                        guard blob.count == dimension * 4 else { return false }
                        let target = out.baseAddress!.advanced(by: row * dimension * 4)
                        target.copyMemory(from: blob.baseAddress!, byteCount: blob.count)
                        let values = UnsafeBufferPointer(start: target.assumingMemoryBound(to: Float.self), count: dimension)
                        return values.allSatisfy(\.isFinite)
                    }
                    guard ok else { damaged.append(s.int(0)); continue }
                    chunkIDs.append(s.int(0))
                    documentIDs.append(s.int(1))
                    row += 1
                }
            }
            if row < count { matrix.removeLast((count - row) * dimension) }
            return (chunkIDs, documentIDs, matrix, damaged)
        }
    }

    /// The stored vector of one chunk.
    public func vector(chunkID: Int64) throws -> [Float]? {
        let s = try db.statement("SELECT vector FROM vectors WHERE chunk_id = ?")
        defer { s.reset() }
        try s.bind([.int(chunkID)])
        guard try s.step() else { return nil }
        return s.withBlob(0) { Array($0.bindMemory(to: Float.self)) }
    }

    /// FTS5's own bm25() over the chunk texts for an FTS5 MATCH expression: (chunk id, score, higher is better).
    public func fts5Search(_ match: String, limit: Int) throws -> [(chunkID: Int64, score: Double)] {
        let s = try db.statement("SELECT rowid, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts) LIMIT ?")
        try s.bind([.text(match), .int(Int64(limit))])
        var out: [(Int64, Double)] = []
        while try s.step() { out.append((s.int(0), s.double(1))) }
        return out
    }
}
