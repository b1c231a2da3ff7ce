import EngramEngine
import EngramMemory
import EngramStore
import Foundation

/// What a personalized ranking report holds; every format is rendered from this one value.
/// JSON field names and order are documented in `docs/report.schema.json`.
public struct Report: Sendable, Encodable {
    public struct Entry: Sendable, Encodable {
        public let id: Int64
        public let kind: String
        public let text: String
        public let weight: Double
        public let age_seconds: Double
        public let searches_since: Int
    }

    public struct Result: Sendable, Encodable {
        public let rank: Int
        /// Rank without memory (nil when memory brought in a document that was not ranked at all).
        public let base_rank: Int?
        /// base_rank − rank: positive = moved up.
        public let delta: Int?
        /// Not in the top n without memory.
        public let new_to_top: Bool
        public let path: String
        public let line: Int
        public let title: String
        public let score: Double
        public let semantic: Double
        public let lexical: Double
        public let memory: Double
        /// The terminal's figures for the result's best passage: its cosine and its BM25 (nil when the mode has no such side).
        public let cosine: Double?
        public let bm25: Double?
    }

    /// An earlier search that did not act on this query, and why.
    public struct LeftOut: Sendable, Encodable {
        public let id: Int64
        public let text: String
        public let why: String
    }

    public struct Baseline: Sendable, Encodable {
        public let rank: Int
        public let path: String
        public let title: String
        public let score: Double
    }

    public struct Query: Sendable, Encodable {
        public let query: String
        public let at: String
        public let results: [Result]
        public let baseline: [Baseline]
        public let entries: [Entry]
        public let left_out: [LeftOut]
        public let top3_changed: Bool
        /// Memory moved a result or brought one into the top n.
        public let changed: Bool
    }

    public struct Summary: Sendable, Encodable {
        public let queries: Int
        public let results_moved: Int
        public let mean_abs_delta_rank: Double
        public let queries_top3_changed: Int
    }

    public let title: String
    public let generated_at: String
    public let index: String
    public let profile: String
    public let half_life_seconds: Double
    public let n: Int
    public let queries: [Query]
    public let summary: Summary

    enum CodingKeys: String, CodingKey {
        case title, generated_at, index, profile, half_life_seconds, n, queries, summary
    }
}

/// Builds a report by re-running queries with the profile's memory, each through the ranking pipeline
/// once (which also ranks it without memory, for the comparison). Nothing is recorded.
public struct ReportBuilder {
    public let session: MemorySession
    public let searcher: Searcher

    public init(session: MemorySession, searcher: Searcher) {
        (self.session, self.searcher) = (session, searcher)
    }

    /// `queries` empty: the profile's searches still in memory, each replayed at its own time with the
    /// entries that came before it (what memory did for that search).
    public func build(queries: [String], n: Int, now: Double, options: SearchOptions = SearchOptions()) throws -> Report {
        var options = options
        options.limit = n
        let ranker = MemoryRanker(searcher: searcher, config: session.config)
        let reports = try Self.jobs(session: session, queries: queries, now: now).map { job in
            try Self.query(job, ranker.search(job.text, entries: job.entries, now: job.at, searches: job.searches, options: options, explain: true),
                       config: session.config)
        }
        return Self.report(reports, session: session, n: n, now: now)
    }

    /// The report, each job's explained search with memory run by `rank` (any store's pipeline).
    public static func build(session: MemorySession, queries: [String], n: Int, now: Double,
                             rank: (Job) async throws -> MemoryResult) async throws -> Report {
        var reports: [Report.Query] = []
        for job in try jobs(session: session, queries: queries, now: now) {
            reports.append(query(job, try await rank(job), config: session.config))
        }
        return report(reports, session: session, n: n, now: now)
    }

    /// One search a report replays: its text and time, the entries memory held before it, and the
    /// profile's search count then.
    public struct Job: Sendable {
        public let text: String
        public let at: Double
        public let entries: [MemoryStore.Entry]
        public let searches: Int
    }

    /// The searches a report replays: `queries` now, with all of memory; none given, the profile's
    /// searches still in memory, each at its own time.
    public static func jobs(session: MemorySession, queries: [String], now: Double) throws -> [Job] {
        let config = session.config
        let state = try session.state()
        let all = state.entries
        guard queries.isEmpty else { return queries.map { Job(text: $0, at: now, entries: all, searches: state.searches) } }
        return all.filter { $0.kind == "query" && MemoryModel.decay(entry: $0, now: now, searches: state.searches, config: config) >= config.floor }
            .map { e in Job(text: e.text, at: e.at, entries: all.filter { $0.at < e.at || ($0.at == e.at && $0.id < e.id) }, searches: e.sequence) }
    }

    /// A replayed search's part of the report, from its explained search with memory (any store's).
    public static func query(_ job: Job, _ m: MemoryResult, config: MemoryConfig) -> Report.Query {
        let baseline = m.response.baseline ?? []
        let basePaths = Set(baseline.map(\.path))
        let results = zip(m.response.hits, m.explanations).map { hit, e in
            Report.Result(rank: hit.rank, base_rank: e.base.rank, delta: e.base.rank.map { $0 - hit.rank },
                          new_to_top: !basePaths.contains(hit.path), path: hit.path, line: hit.line, title: hit.title,
                          score: hit.score, semantic: e.base.semantic, lexical: e.base.lexical, memory: e.memoryScore,
                          cosine: hit.semantic, bm25: hit.lexical)
        }
        // An open in effect only through its lift weighs what it lifts.
        let entries = m.active.sorted { max($0.weight, $0.refindWeight) > max($1.weight, $1.refindWeight) }.map {
            Report.Entry(id: $0.entry.id, kind: $0.entry.kind, text: $0.entry.text, weight: max($0.weight, $0.refindWeight),
                         age_seconds: $0.ageSeconds, searches_since: $0.searchesSince)
        }
        let top3 = Array(results.prefix(3).map(\.path)) != Array(baseline.prefix(3).map(\.path))
        let leftOut = m.entries.filter { !$0.takesPart(floor: config.floor) }.reversed().map {
            Report.LeftOut(id: $0.entry.id, text: $0.entry.text, why: $0.why(config))
        }
        return Report.Query(query: job.text, at: iso(job.at), results: results,
                            baseline: baseline.map { Report.Baseline(rank: $0.rank, path: $0.path, title: $0.title, score: $0.score) },
                            entries: entries, left_out: leftOut, top3_changed: top3,
                            changed: results.contains { $0.new_to_top || ($0.delta ?? 0) != 0 })
    }

    /// The report on the replayed searches, with its summary.
    public static func report(_ reports: [Report.Query], session: MemorySession, n: Int, now: Double) -> Report {
        let moved = reports.flatMap(\.results).filter { ($0.delta ?? 1) != 0 }
        let deltas = reports.flatMap(\.results).map { Double(abs($0.delta ?? (n + 1 - $0.rank))) }
        return Report(
            title: "Engram personalized ranking report", generated_at: iso(now), index: session.indexName, profile: session.profile,
            half_life_seconds: session.config.halfLife, n: n, queries: reports,
            summary: Report.Summary(queries: reports.count, results_moved: moved.count,
                                    mean_abs_delta_rank: deltas.isEmpty ? 0 : deltas.reduce(0, +) / Double(deltas.count),
                                    queries_top3_changed: reports.filter(\.top3_changed).count))
    }

    static func iso(_ t: Double) -> String { Date(timeIntervalSince1970: t).formatted(.iso8601) }
}
