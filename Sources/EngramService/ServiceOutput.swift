import EngramEngine
import EngramMemory
import EngramStore
import Foundation

// The JSON that `engram status --json` and `index --json` print, and that `engram serve` and `engram mcp`
// answer with, on either store: one definition, so every front end prints the same shape. (Searches'
// JSON, `SearchOutput`, is EngramMemory's.)

/// `engram status --json` (and `engram serve`'s /status, `engram mcp`'s status).
public struct StatusOutput: Encodable, Sendable {
    /// The index file, or the database's URL without its password.
    public let index: String
    public let documents: Int
    public let chunks: Int
    public let model: String?
    public let dimension: Int?
    public let precision: String?
    public let bytes: Int64
    public let last_indexed: String?
    /// What the index was built from: `engram index` with no argument brings these up to date.
    public let roots: [String]
    /// The search segment beside the index, when it is this index's.
    public var segment: SegmentStatus?

    public init(_ s: IndexStore.Stats, index: String) {
        (self.index, documents, chunks, model, dimension) = (index, s.documents, s.chunks, s.model, s.dimension)
        (precision, bytes, roots) = (s.precision, s.bytes, s.roots)
        last_indexed = s.lastIndexed.map { Date(timeIntervalSince1970: $0).formatted(.iso8601) }
    }
}

public struct SegmentStatus: Encodable, Sendable {
    public let chunks: Int
    public let bytes: Int
    public let graph: Bool
    /// Chunks added or changed since it was built, read from the index meanwhile.
    public let pending: Int

    public init(chunks: Int, bytes: Int, graph: Bool, pending: Int) {
        (self.chunks, self.bytes, self.graph, self.pending) = (chunks, bytes, graph, pending)
    }
}

/// `engram index --json`: the run's summary and the index it went to.
public struct IndexReport: Encodable, Sendable {
    public let index: String
    public let summary: IndexSummary

    public init(index: String, summary: IndexSummary) {
        (self.index, self.summary) = (index, summary)
    }

    public func encode(to encoder: Encoder) throws {
        try summary.encode(to: encoder)
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.encode(index, forKey: JSONKey("index"))
    }
}

/// A JSON key made at run time.
public struct JSONKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(_ s: String) { stringValue = s }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
