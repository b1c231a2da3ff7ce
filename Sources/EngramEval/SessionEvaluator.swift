import EngramEmbedding
import EngramEngine
import EngramMemory
import EngramStore
import Foundation

/// A simulated search session (`sessions.jsonl`, made by shared/tools/make_sessions.py).
public struct SearchSession: Sendable, Decodable {
    public struct Past: Sendable, Decodable {
        public let query: String
        public let at: String
    }
    public let id: String
    public let kind: String
    public let history: [Past]
    public let query: String
    public let at: String
    public let qrels_query: String

    public static func load(_ path: String) throws -> [SearchSession] {
        guard let data = FileManager.default.contents(atPath: path) else { throw BeirCollection.LoadError.missing(path) }
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).enumerated().map { i, line in
            do { return try decoder.decode(SearchSession.self, from: Data(line)) } catch {
                throw BeirCollection.LoadError.malformed(path: path, line: i + 1)
            }
        }
    }
}

/// nDCG@10 of one kind of session under each treatment.
public struct SessionKindResult: Sendable, Encodable {
    public var sessions: Int
    public var memory: Double
    public var baseline: Double
    public var fullQuery: Double
    public var concat: Double

    /// Share of the gap between the short query alone and its full query that memory closes.
    public var recovered: Double { fullQuery != baseline ? (memory - baseline) / (fullQuery - baseline) : 0 }
    /// Relative change of nDCG@10 against no memory.
    public var relativeChange: Double { baseline > 0 ? (memory - baseline) / baseline : 0 }

    enum CodingKeys: String, CodingKey {
        case sessions
        case memory = "ndcg@10_memory"
        case baseline = "ndcg@10_baseline"
        case fullQuery = "ndcg@10_full_query"
        case concat = "ndcg@10_concat"
        case recovered, relativeChange = "relative_change"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sessions, forKey: .sessions)
        try c.encode(memory, forKey: .memory)
        try c.encode(baseline, forKey: .baseline)
        try c.encode(fullQuery, forKey: .fullQuery)
        try c.encode(concat, forKey: .concat)
        try c.encode(recovered, forKey: .recovered)
        try c.encode(relativeChange, forKey: .relativeChange)
    }
}

public struct SessionsReport: Sendable, Encodable {
    public var dataset: String
    public var kinds: [String: SessionKindResult]
    /// With clicks: how many results the simulated users opened.
    public var opens: Int?
    /// With --sweep: the memory flags of this run.
    public var setting: String?
}

/// Replays sessions: each starts from an empty memory, its history is searched at its timestamps,
/// then the target runs at its timestamp with and without memory.
public struct SessionEvaluator {
    public let collection: BeirCollection
    public let searcher: Searcher

    public init(collection: BeirCollection, searcher: Searcher) {
        self.collection = collection
        self.searcher = searcher
    }

    /// `details`, when given, receives every session's raw scores (see ``SessionDetail``).
    ///
    /// With `clicks`, the user also opens results, as a cascade model has it: after each history search
    /// (ranked with the memory of the searches and opens before it), the first result in its top 10 that is
    /// judged relevant to that search's own query (a history text that is one of the collection's judged
    /// queries) is opened, and recorded as `engram open` records it: the passage's text and vector.
    public func evaluate(
        _ sessions: [SearchSession], config: MemoryConfig, options: SearchOptions = SearchOptions(), clicks: Bool = false,
        details: ((SessionDetail) throws -> Void)? = nil
    ) throws -> SessionsReport {
        try evaluate(sessions, configs: [config], options: options, clicks: clicks, details: details)[0]
    }

    /// The same for several memory settings at once (a sweep): the texts are embedded once and the rankings
    /// without memory computed once per session. `details` describes the first setting's runs.
    public func evaluate(
        _ sessions: [SearchSession], configs: [MemoryConfig], options: SearchOptions = SearchOptions(), clicks: Bool = false,
        details: ((SessionDetail) throws -> Void)? = nil
    ) throws -> [SessionsReport] {
        var options = options
        options.limit = 10
        let prefix = "beir:\(collection.name)/"
        let fullText = Dictionary(collection.queries.map { ($0.id, $0.text) }, uniquingKeysWith: { a, _ in a })
        // Embed every text once.
        var texts = Set<String>()
        for s in sessions {
            texts.insert(s.query)
            s.history.forEach { texts.insert($0.query) }
            if let f = fullText[s.qrels_query] { texts.insert(f) }
            if let last = s.history.last { texts.insert(last.query + " " + s.query) }
        }
        let list = Array(texts)
        let vectors = Dictionary(uniqueKeysWithValues: zip(list, searcher.encoder.encode(list)))
        let judgedQuery = Dictionary(collection.queries.map { ($0.text, $0.id) }, uniquingKeysWith: { a, _ in a })

        func ndcg(_ paths: [String], _ s: SearchSession) -> Double {
            Metrics.ndcg(ranking: paths.map { String($0.dropFirst(prefix.count)) }, judgments: collection.qrels[s.qrels_query] ?? [:], k: 10)
        }
        typealias Sums = [String: (n: Int, memory: Double, baseline: Double, full: Double, concat: Double)]
        var sums = [Sums](repeating: [:], count: configs.count)
        var opens = [Int](repeating: 0, count: configs.count)
        let chunks = try searcher.chunkCount()
        for s in sessions {
            let now = Self.parse(s.at)
            let baseline = try searcher.rank(s.query, vector: vectors[s.query], options: options).map(\.path)
            let full = fullText[s.qrels_query].map { try? searcher.rank($0, vector: vectors[$0], options: options).map(\.path) } ?? nil
            let concatText = (s.history.last.map { $0.query + " " } ?? "") + s.query
            let concat = try searcher.rank(concatText, vector: vectors[concatText] ?? searcher.encoder.encode(concatText), options: options).map(\.path)
            let q = vectors[s.query]!
            var statistics: [String: QueryStatistics] = [:]
            func stats(_ text: String) throws -> QueryStatistics {
                if let st = statistics[text] { return st }
                let st = QueryStatistics(topCosines: try searcher.topCosines(vectors[text]!, k: QueryStatistics.depth).map(Double.init),
                                         chunkCount: chunks)
                statistics[text] = st
                return st
            }
            // Settings that leave the same entries in effect at the same weights rank alike: each such
            // ranking is computed once per session.
            var rankings: [String: [SearchHit]] = [:]
            func ranked(_ memory: MemoryRanker, _ text: String, entries: [MemoryStore.Entry], at: Double, searches: Int) throws
                -> (hits: [SearchHit], weighted: [WeightedEntry])
            {
                let (expansion, weighted) = memory.expansion(entries, query: vectors[text]!, statistics: try stats(text), now: at, searches: searches)
                let key = text + "\u{1}\(expansion.strength)\u{1}" + expansion.terms.map { "\($0.text)\u{2}\($0.weight)" }.joined(separator: ",")
                    + "\u{1}\(expansion.refind)\u{1}" + expansion.opened.map { "\($0.path)\u{2}\($0.weight)" }.joined(separator: ",")
                    + "\u{1}\(expansion.keep)\u{1}\(expansion.keepLead)"
                if let hits = rankings[key] { return (hits, weighted) }
                let hits = try searcher.search(SearchRequest(text, vector: vectors[text], options: options, expansion: expansion)).hits
                rankings[key] = hits
                return (hits, weighted)
            }
            for (c, config) in configs.enumerated() {
                let memory = MemoryRanker(searcher: searcher, config: config)
                var entries: [MemoryStore.Entry] = []
                for (i, h) in s.history.enumerated() {
                    let at = Self.parse(h.at)
                    if clicks, let id = judgedQuery[h.query], let judged = collection.qrels[id] {
                        // The history search as its user saw it: with the memory of what came before it.
                        let seen = try ranked(memory, h.query, entries: entries, at: at, searches: i)
                        if let hit = seen.hits.first(where: { (judged[String($0.path.dropFirst(prefix.count))] ?? 0) > 0 }),
                           let vector = try searcher.chunkVector(hit.chunkID) {
                            entries.append(MemoryStore.Entry(id: Int64(entries.count + 1), profile: "eval", kind: "query", text: h.query,
                                                             vector: vectors[h.query]!, at: at, sequence: i))
                            entries.append(MemoryStore.Entry(id: Int64(entries.count + 1), profile: "eval", kind: "open", text: hit.chunkText,
                                                             vector: vector, at: at, sequence: i, path: hit.path))
                            opens[c] += 1
                            continue
                        }
                    }
                    entries.append(MemoryStore.Entry(id: Int64(entries.count + 1), profile: "eval", kind: "query", text: h.query,
                                                     vector: vectors[h.query]!, at: at, sequence: i))
                }
                let withMemory = try ranked(memory, s.query, entries: entries, at: now, searches: s.history.count)
                let scores = ["memory": ndcg(withMemory.hits.map(\.path), s), "baseline": ndcg(baseline, s),
                              "full_query": ndcg(full ?? [], s), "concat": ndcg(concat, s)]
                var t = sums[c][s.kind] ?? (0, 0, 0, 0, 0)
                t.n += 1
                t.memory += scores["memory"]!
                t.baseline += scores["baseline"]!
                t.full += scores["full_query"]!
                t.concat += scores["concat"]!
                sums[c][s.kind] = t
                if c == 0, let details {
                    try details(detail(s, vector: q, entries: withMemory.weighted, options: options, ndcg: scores))
                }
            }
        }
        return sums.enumerated().map { c, sums in
            SessionsReport(dataset: collection.name, kinds: sums.mapValues { t in
                let n = Double(t.n)
                return SessionKindResult(sessions: t.n, memory: t.memory / n, baseline: t.baseline / n, fullQuery: t.full / n, concat: t.concat / n)
            }, opens: clicks ? opens[c] : nil)
        }
    }

    static func parse(_ s: String) -> Double {
        (try? Date(s, strategy: .iso8601))?.timeIntervalSince1970 ?? 0
    }
}
