import EngramEmbedding
import EngramStore
import Foundation

/// `engram check`: the index's health, by SQLite's own check and the engine's invariants, and the
/// repairs that need no source files (re-embedding a chunk from its stored text, dropping orphan rows,
/// rebuilding the full-text table).
public struct IndexCheck {
    public let store: IndexStore
    public let dimension: Int

    public init(store: IndexStore, dimension: Int) { (self.store, self.dimension) = (store, dimension) }

    /// One problem, in one line.
    public struct Problem: Sendable, Encodable, Equatable {
        public let kind: String
        public let detail: String
        /// Whether `repair` can mend it.
        public let repairable: Bool
    }

    public func problems() throws -> [Problem] {
        var out: [Problem] = []
        let integrity = try store.integrityCheck()
        if integrity != "ok" {
            // Damaged pages: nothing inside the file can be trusted to mend them.
            out.append(Problem(kind: "integrity", detail: integrity.split(separator: "\n").prefix(3).joined(separator: "; "), repairable: false))
            return out
        }
        for p in try store.invariantProblems() where !p.hasPrefix("integrity") {
            out.append(Problem(kind: "invariant", detail: p, repairable: !p.contains("duplicate paths") && !p.contains("ordinals")))
        }
        let vectors = try store.damagedVectors(dimension: dimension)
        if !vectors.damaged.isEmpty {
            out.append(Problem(kind: "vector", detail: "\(vectors.damaged.count) chunk vectors of the wrong size or with values that are not finite "
                               + "(chunk \(vectors.damaged.prefix(5).map(String.init).joined(separator: ", ")))", repairable: true))
        }
        return out
    }

    /// What `repair` did.
    public struct Repair: Sendable, Encodable {
        public var reembedded = 0
        public var orphansDeleted = 0
        public var fullTextRebuilt = false
    }

    /// Re-embeds chunks whose vectors are missing or damaged, drops orphan rows, rebuilds the full-text
    /// table; one transaction.
    public func repair(encoder: SentenceEncoder) throws -> Repair {
        var done = Repair()
        let vectors = try store.damagedVectors(dimension: dimension)
        let ids = vectors.missing + vectors.damaged
        let texts: [(Int64, String)] = try store.read {
            try ids.compactMap { id in
                guard let chunk = try store.chunk(id: id) else { return nil }
                let title = try store.document(id: chunk.documentID)?.title ?? ""
                return (id, Indexer.embeddingText(title: title, chunk: chunk.text))
            }
        }
        let embedded = encoder.encode(texts.map(\.1))
        try store.write {
            for ((id, _), vector) in zip(texts, embedded) { try store.setVector(chunkID: id, vector) }
            done.reembedded = texts.count
            done.orphansDeleted = try store.deleteOrphans()
            try store.rebuildFullText()
            done.fullTextRebuilt = true
        }
        return done
    }
}
