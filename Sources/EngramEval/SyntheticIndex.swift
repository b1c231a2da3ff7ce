import EngramStore
import Foundation

/// A large index made from a real one, for measuring search at sizes no test collection has: the
/// source's documents copied again and again under distinct paths, each copy with the source's chunk
/// texts and postings and its vectors moved by a little random noise (then renormalised), written
/// through the store's own write path (the calls the indexer makes).
public enum SyntheticIndex {
    /// Length of the noise added to a unit vector before renormalising: copies of a chunk stay about
    /// 0.97 cosine from it, close enough to keep the collection's neighbourhoods, far enough that
    /// copies are not ties.
    public static let noise: Float = 0.25

    private struct SourceChunk {
        let chunk: IndexStore.Chunk
        let vector: [Float]
        let terms: [String: Int]
        let length: Int
    }

    /// Writes copies of `source`'s documents into `target` until it holds `chunks` chunks; returns how
    /// many documents and chunks it wrote. `progress` gets the chunk count after each transaction.
    public static func build(from source: IndexStore, into target: IndexStore, chunks wanted: Int, seed: UInt64 = 1,
                             progress: (Int) -> Void = { _ in }) throws -> (documents: Int, chunks: Int) {
        let (documents, chunksOf) = try source.read { () -> ([IndexStore.Document], [Int64: [SourceChunk]]) in
            let documents = try source.documents().sorted { $0.id < $1.id }
            var chunksOf: [Int64: [SourceChunk]] = [:]
            for d in documents {
                chunksOf[d.id] = try source.chunks(ofDocument: d.id).compactMap { c in
                    guard let v = try source.vector(chunkID: c.id) else { return nil }
                    return SourceChunk(chunk: c, vector: v, terms: try source.terms(ofChunk: c.id),
                                       length: try source.lexicalLength(ofChunk: c.id))
                }
            }
            return (documents, chunksOf)
        }
        guard documents.contains(where: { !(chunksOf[$0.id] ?? []).isEmpty }) else { return (0, 0) }
        var random = SplitMix64(seed: seed)
        var written = 0, writtenDocuments = 0, copy = 0
        let perTransaction = 20_000
        while written < wanted {
            var i = 0
            while i < documents.count && written < wanted {
                try target.write {
                    var inTransaction = 0
                    while i < documents.count && written < wanted && inTransaction < perTransaction {
                        let d = documents[i]
                        i += 1
                        let parts = chunksOf[d.id] ?? []
                        guard !parts.isEmpty else { continue }
                        var doc = d
                        doc.path = "/synthetic/\(copy)/" + d.path.drop { $0 == "/" }
                        doc.hash = "\(d.hash)-\(copy)"
                        let id = try target.upsertDocument(doc)
                        writtenDocuments += 1
                        for part in parts where written < wanted {
                            var c = part.chunk
                            c.documentID = id
                            try target.insertChunk(c, vector: noisy(part.vector, &random), terms: part.terms, lexLength: part.length)
                            written += 1
                            inTransaction += 1
                        }
                    }
                }
                progress(written)
            }
            copy += 1
        }
        return (writtenDocuments, written)
    }

    static func noisy(_ v: [Float], _ random: inout SplitMix64) -> [Float] {
        let sigma = Double(noise) / Double(v.count).squareRoot()
        var out = v.map { Double($0) + sigma * random.gaussian() }
        let norm = out.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for j in out.indices { out[j] /= max(norm, 1e-12) }
        return out.map(Float.init)
    }
}

/// A small, seedable generator (Steele et al.'s SplitMix64), so a synthetic index is the same every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal sample (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = max(Double(next() >> 11) / Double(1 << 53), 1e-300), u2 = Double(next() >> 11) / Double(1 << 53)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
