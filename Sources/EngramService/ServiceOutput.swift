import EngramEngine
import EngramMemory
import EngramStore
import Foundation

// The JSON that `engram search --json`, `status --json` and `index --json` print, and that `engram serve`
// and `engram mcp` answer with, on either store: one definition, so every front end prints the same shape.

/// `engram search --json` (and `engram serve`'s /search, `engram mcp`'s search): {"query", "mode", "results": [...], "timings_ms": {...}, "memory": {...}}.
public struct SearchOutput: Encodable, Sendable {
    public struct Result: Encodable, Sendable {
        public struct Scores: Encodable, Sendable {
            public let semantic: Double?
            public let lexical: Double?
            public func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: JSONKey.self)
                try c.encode(semantic, forKey: JSONKey("semantic"))
                try c.encode(lexical, forKey: JSONKey("lexical"))
            }
        }
        public let rank: Int
        public let path: String
        public let line: Int
        public let line_end: Int
        public let score: Double
        public let scores: Scores
        public let title: String
        public let snippet: String
        public let chunk: String
        /// With --per-file above 1: the file's further passages, best first.
        public let passages: [PassageOutput]?
    }
    public struct PassageOutput: Encodable, Sendable {
        public let line: Int
        public let line_end: Int
        public let score: Double
        public let snippet: String
        public let chunk: String
    }
    public let query: String
    public let mode: String
    public let results: [Result]
    public let timings_ms: [String: Double]
    public let memory: MemoryOutput?

    public init(_ r: SearchResponse, memory m: MemoryResult? = nil, profile: String = "default", config: MemoryConfig = MemoryConfig()) {
        memory = m.map { MemoryOutput($0, profile: profile, config: config) }
        query = r.query
        mode = r.mode.rawValue
        results = r.hits.map { h in
            Result(rank: h.rank, path: h.path, line: h.line, line_end: h.lineEnd, score: h.score, scores: .init(semantic: h.semantic, lexical: h.lexical),
                   title: h.title, snippet: h.snippet.text, chunk: h.chunkText,
                   passages: h.passages.isEmpty ? nil : h.passages.map {
                       PassageOutput(line: $0.line, line_end: $0.lineEnd, score: $0.score, snippet: $0.snippet.text, chunk: $0.text)
                   })
        }
        timings_ms = r.timings
    }
}

/// `"memory"` in `engram search --json`: the entries with their current weights, and per result
/// the base score, memory's part and both ranks.
public struct MemoryOutput: Encodable, Sendable {
    public struct Entry: Encodable, Sendable {
        public let id: Int64
        public let kind: String
        public let text: String
        public let path: String?
        public let weight: Double
        public let decay: Double
        public let gate: Double
        public let similarity: Double
        /// The cosine the guard asks of this entry for this query (its threshold, calibrated to the index).
        public let required_similarity: Double
        public let age_seconds: Double
        public let searches_since: Int
        public let active: Bool
        /// Why it is, or is not, in effect, in words.
        public let why: String
    }
    public struct Contribution: Encodable, Sendable {
        public let entry: Int64
        public let weight: Double
        public let similarity: Double
    }
    public struct Result: Encodable, Sendable {
        public let rank: Int
        public let base_rank: Int?
        public let base_score: Double
        public let memory_score: Double
        public let contributions: [Contribution]
    }
    public let profile: String
    public let entries: [Entry]
    public let results: [Result]

    public init(_ m: MemoryResult, profile: String, config: MemoryConfig) {
        self.profile = profile
        let floor = Set(m.active.map(\.entry.id))
        entries = m.entries.map {
            Entry(id: $0.entry.id, kind: $0.entry.kind, text: $0.entry.text, path: $0.entry.path, weight: $0.weight, decay: $0.decay,
                  gate: $0.gate, similarity: $0.similarity, required_similarity: $0.requiredCosine(config), age_seconds: $0.ageSeconds, searches_since: $0.searchesSince,
                  active: floor.contains($0.entry.id), why: $0.why(config))
        }
        results = m.explanations.map { e in
            Result(rank: e.rank, base_rank: e.base.rank, base_score: e.base.score, memory_score: e.memoryScore,
                   contributions: e.contributions.map { Contribution(entry: $0.entryID, weight: $0.weight, similarity: $0.similarity) })
        }
    }
}

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
