import CSearchIndex
import EngramSearchIndex
import EngramStore
import EngramText
import Foundation

/// The two sides of the ranker, each folded from chunks to documents (a document scores as its best chunk).
extension Searcher {
    /// Per-document scores of one side: the best chunk's score and that chunk.
    public typealias DocumentScores = [Int64: (score: Double, chunkID: Int64)]

    /// From this many chunks, `.auto` searches the graph: below it the exact scan of the mapped vectors
    /// takes a few milliseconds (11k chunks: 1 ms), above it grows past the graph's cost.
    public static let approximateFrom = 50_000
    /// Chunks the graph proposes per query, found with a beam of `beam`. Documents are ranked by their best
    /// chunk, and every proposed document gets all its chunks scored, so 200 chunks leave the top 10 whole
    /// (recall@10 against the exact scan in docs/research.md).
    static let semanticShortlist = 200
    /// At a million chunks (`engram bench recall`): beam 256 finds 0.896 of the exact top 10, 512 0.929, 768 0.947,
    /// at 0.2, 0.4 and 0.6 ms; scoring the candidates' chunks costs more than the graph walk.
    static let beam = 512
    /// Chunks the lexical side keeps (top-k BM25). Fusion normalises by the best score, which top-k keeps
    /// exactly; documents below the 1,000th chunk would add under 1 % of the lexical weight.
    static let lexicalShortlist = 1000
    /// Chunks each remembered text keeps on the lexical side: it only lifts documents near the top, and at a
    /// million chunks a shortlist of 1,000 per entry took 3.5 ms, 500 takes 2.8 (200 cost medline drilldowns 0.004 nDCG).
    public static let expansionShortlist = 500
    /// With the graph, min-max fusion needs the lowest document cosine of the index, not of the shortlist:
    /// it is taken over this fixed sample of documents (every one in an index of up to 4,096 documents).
    static let floorSample = 4096

    func usesGraph(_ options: SearchOptions, _ segment: Segment) -> Bool {
        guard segment.hasGraph else { return false }
        switch options.vectorSearch {
        case .exact: return false
        case .approximate: return true
        case .auto: return segment.rows >= Self.approximateFrom
        }
    }

    /// Cosine of the query vector with the chunks, folded to documents: every chunk (exact), or with the
    /// graph a candidate set (its shortlist, the documents in `also`, the fixed sample), each candidate
    /// document scored exactly over all of its chunks. With `allowed`, only those documents: all their
    /// chunks when they are few, else the graph's candidates among them (every chunk if it finds too few).
    public func semanticScores(_ queryVector: [Float], also: Set<Int64> = [], options: SearchOptions = SearchOptions(),
                               allowed: Set<Int64>? = nil) throws -> DocumentScores
    {
        try semanticScores([(queryVector, also)], options: options, allowed: allowed)[0]
    }

    /// The same for several query vectors (a query with memory, then without it), each with its own `also`.
    /// With the graph every candidate row is read once for all of them, and each vector scores the documents
    /// its own search would (its shortlist, its `also`, the sample), so its scores equal a search alone; with
    /// `firstScoresAll` the first vector scores every vector's candidates (the query with memory then ranks
    /// whatever the query alone would).
    public func semanticScores(_ queries: [(vector: [Float], also: Set<Int64>)], options: SearchOptions = SearchOptions(),
                               allowed: Set<Int64>? = nil, firstScoresAll: Bool = false) throws -> [DocumentScores]
    {
        let data = try self.data()
        var outs = [DocumentScores](repeating: [:], count: queries.count)
        @inline(__always) func offer(_ i: Int, _ d: Int64, _ s: Double, _ chunk: Int64) {
            if let allowed, !allowed.contains(d) { return }
            if let best = outs[i][d], best.score >= s { return }
            outs[i][d] = (s, chunk)
        }
        if let segment = data.segment {
            let excluded = data.excludedRows
            if let allowed, usesGraph(options, segment), allowed.count <= filterScoresAllUpTo {
                let rows = allowed.flatMap { segment.rows(ofDocument: $0) }.filter { !excluded.contains($0) }
                for (i, scores) in segment.scores(queries.map(\.vector), rows: rows).enumerated() {
                    for (r, s) in zip(rows, scores) { offer(i, segment.documentID(row: r), Double(s), segment.chunkID(row: r)) }
                }
            } else if usesGraph(options, segment) {
                // Every row of every candidate document, scored in one pass: the fixed sample's (its rows found
                // once per process), then each query's graph and `also` documents not already in it. A group
                // of rows is one document; `mask` says whose candidate it is (the sample is everyone's).
                var set = data.sampleRows(Self.floorSample)
                let everyone = UInt64.max
                var mask = [UInt64](repeating: everyone, count: set.groups.count)
                let first: UInt64 = firstScoresAll ? 1 : 0
                // The vector walked last first: its walk is reused (the guard walked for the query alone).
                var candidates = [Set<Int64>](repeating: [], count: queries.count)
                let walked = queries.indices.first { lastWalk?.vector == queries[$0].vector } ?? 0
                for i in [walked] + queries.indices.filter({ $0 != walked }) {
                    candidates[i] = Set(nearest(segment, queries[i].vector, k: Self.semanticShortlist + excluded.count)
                        .lazy.filter { !excluded.contains($0.row) }.map { segment.documentID(row: $0.row) })
                    candidates[i].formUnion(queries[i].also)
                }
                for mine in candidates {
                    for d in mine where !set.documents.contains(d) {
                        set.add(d, segment.rows(ofDocument: d).filter { !excluded.contains($0) })
                        mask.append(candidates.indices.reduce(first) { $0 | (candidates[$1].contains(d) ? 1 << UInt64($1) : 0) })
                    }
                }
                let scores = segment.scores(queries.map(\.vector), rows: set.rows)
                for i in queries.indices {
                    let bit: UInt64 = 1 << UInt64(i), s = scores[i]
                    outs[i].reserveCapacity(set.groups.count)
                    // A document scores as its best row (the first of equals); each group is a document of its own.
                    for (k, g) in set.groups.enumerated() where mask[k] & bit != 0 && g.end > g.start {
                        if let allowed, !allowed.contains(g.document) { continue }
                        var best = g.start
                        for j in (g.start + 1)..<g.end where s[j] > s[best] { best = j }
                        outs[i][g.document] = (Double(s[best]), segment.chunkID(row: set.rows[best]))
                    }
                }
                // A filter the graph's candidates hardly meet: every vector scans every chunk instead (the tail too).
                if allowed != nil, outs.contains(where: { $0.count < options.limit }) {
                    var exact = options
                    exact.vectorSearch = .exact
                    return try semanticScores(queries, options: exact, allowed: allowed)
                }
            } else {
                // The vector scanned last first: its scan is reused.
                let first = queries.indices.first { lastScan?.vector == queries[$0].vector } ?? 0
                for i in [first] + queries.indices.filter({ $0 != first }) {
                    let scores = scan(segment, queries[i].vector)
                    outs[i].reserveCapacity(segment.documents)
                    for r in 0..<segment.rows where excluded.isEmpty || !excluded.contains(r) {
                        offer(i, segment.documentID(row: r), Double(scores[r]), segment.chunkID(row: r))
                    }
                }
            }
        }
        let tail = data.tail
        if tail.count > 0 {
            for (i, query) in queries.enumerated() {
                let scores = tail.scores(query.vector)
                for r in 0..<tail.count { offer(i, tail.documentIDs[r], Double(scores[r]), tail.chunkIDs[r]) }
            }
        }
        return outs
    }

    /// The graph's `k` nearest rows to a vector with the pipeline's beam, reusing the last walk when the
    /// vector is the same (memory's guard walks for the query before the search does).
    func nearest(_ segment: Segment, _ vector: [Float], k: Int) -> [(row: Int, score: Float)] {
        let id = ObjectIdentifier(segment), ef = max(Self.beam, k)
        if let last = lastWalk, last.segment == id, last.k == k, last.vector == vector { return last.hits }
        let hits = segment.nearest(vector, k: k, ef: ef)
        lastWalk = (id, vector, k, hits)
        return hits
    }

    /// The `k` chunks nearest to a vector: by the exact scan, or by the graph with a beam of `beam`
    /// (default: the pipeline's), for measuring its recall.
    public func nearestChunks(_ vector: [Float], k: Int, exact: Bool, beam: Int? = nil) throws -> [Int64] {
        let data = try self.data()
        var scored: [(Int64, Float)] = []
        if let segment = data.segment {
            if exact || !segment.hasGraph {
                for (r, s) in scan(segment, vector).enumerated() where !data.excludedRows.contains(r) { scored.append((segment.chunkID(row: r), s)) }
            } else {
                scored = segment.nearest(vector, k: k + data.excludedRows.count, ef: max(beam ?? Self.beam, k))
                    .filter { !data.excludedRows.contains($0.row) }.map { (segment.chunkID(row: $0.row), $0.score) }
            }
        }
        if data.tail.count > 0 { scored += zip(data.tail.chunkIDs, data.tail.scores(vector)).map { ($0, $1) } }
        return scored.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.prefix(k).map(\.0)
    }

    /// Cosines of the `k` chunks nearest to a vector, best first: through the graph where search uses it,
    /// else by the exact scan (what memory's guard reads of the index for a query).
    public func topCosines(_ vector: [Float], k: Int) throws -> [Float] {
        let data = try self.data()
        var scores: [Float] = []
        if let segment = data.segment {
            if usesGraph(SearchOptions(), segment) {
                scores = nearest(segment, vector, k: k + data.excludedRows.count)
                    .filter { !data.excludedRows.contains($0.row) }.map(\.score)
            } else {
                scores = scan(segment, vector).enumerated().filter { !data.excludedRows.contains($0.offset) }.map(\.element)
            }
        }
        if data.tail.count > 0 { scores += data.tail.scores(vector) }
        return Self.largest(scores, k)
    }

    /// Every row's cosine with `vector` (the exact scan), reusing the last scan's when the vector is the same.
    func scan(_ segment: Segment, _ vector: [Float]) -> [Float] {
        let id = ObjectIdentifier(segment)
        if let last = lastScan, last.segment == id, last.vector == vector { return last.scores }
        let scores = segment.scanAll(vector)
        lastScan = (id, vector, scores)
        return scores
    }

    /// The `k` largest values, best first: a bounded selection, sorted at the end.
    public static func largest(_ scores: [Float], _ k: Int) -> [Float] {
        var top: [Float] = [], floor = -Float.infinity
        top.reserveCapacity(2 * k + 1)
        for s in scores where top.count < k || s > floor {
            top.append(s)
            if top.count > 2 * k {
                top.sort(by: >)
                top.removeLast(top.count - k)
                floor = top.last ?? floor
            }
        }
        return Array(top.sorted(by: >).prefix(k))
    }

    /// The graph's recall@k against the exact scan, averaged over query vectors.
    public func graphRecall(_ vectors: [[Float]], k: Int = 10, beam: Int? = nil) throws -> Double {
        guard !vectors.isEmpty else { return 0 }
        var found = 0.0
        for v in vectors {
            let exact = Set(try nearestChunks(v, k: k, exact: true))
            found += Double(try nearestChunks(v, k: k, exact: false, beam: beam).filter(exact.contains).count) / Double(max(exact.count, 1))
        }
        return found / Double(vectors.count)
    }

    /// Lexical scores of the best chunks that hold a query term, folded to documents (of `allowed` only, if given).
    public func lexicalScores(_ query: String, options: SearchOptions, allowed: Set<Int64>? = nil,
                              limit: Int? = nil) throws -> DocumentScores {
        let chunks: [(chunk: Int64, document: Int64, score: Double)]
        switch options.lexical {
        case .bm25: chunks = try bm25(query, k1: options.k1, b: options.b, limit: limit ?? Self.lexicalShortlist, allowed: allowed)
        case .fts5:
            let data = try self.data()
            chunks = try fts5(query).compactMap { c in data.document(ofChunk: c.key).map { (c.key, $0, c.value) } }
        }
        var out: DocumentScores = [:]
        for c in chunks {
            if let allowed, !allowed.contains(c.document) { continue }
            if let best = out[c.document], best.score >= c.score { continue }
            out[c.document] = (c.score, c.chunk)
        }
        return out
    }

    /// BM25 (Lucene's idf): the `limit` best chunks of the segment by MaxScore (among `allowed` documents'
    /// if given), and every chunk outside it.
    func bm25(_ query: String, k1: Double, b: Double, limit: Int, allowed: Set<Int64>? = nil)
        throws -> [(chunk: Int64, document: Int64, score: Double)]
    {
        let data = try self.data()
        let n = Double(data.chunkCount), average = max(data.averageLength, 1)
        var terms: [(postings: engram_term_postings, weight: Double)] = []
        var outside: [Int64: Double] = [:]
        // A term repeated in the query counts once per repetition, as in Lucene and bm25s.
        for (term, queryCount) in analyzer.termCounts(query) {
            let mapped = data.segment?.postings(term)
            let rest = try store.postings(term, after: data.covered, changed: data.changedLive)
            let df = Double(Int(mapped?.count ?? 0) + rest.count)
            guard df > 0 else { continue }
            let idf = log(1 + (n - df + 0.5) / (df + 0.5)) * Double(queryCount)
            if let mapped { terms.append((mapped, idf)) }
            for (chunk, tf) in rest {
                guard let dl = data.tailLength[chunk] else { continue }
                let t = Double(tf)
                outside[chunk, default: 0] += idf * t * (k1 + 1) / (t + k1 * (1 - b + b * Double(dl) / average))
            }
        }
        var out: [(chunk: Int64, document: Int64, score: Double)] = []
        if let segment = data.segment {
            var excluded = data.excludedBits
            if let allowed {
                var bits = excluded ?? [UInt64](repeating: 0, count: segment.rows / 64 + 1)
                for r in 0..<segment.rows where !allowed.contains(segment.documentID(row: r)) { bits[r / 64] |= 1 << UInt64(r % 64) }
                excluded = bits
            }
            for hit in segment.bm25Top(terms, average: average, k1: k1, b: b, excluded: excluded, k: limit) {
                out.append((segment.chunkID(row: hit.row), segment.documentID(row: hit.row), hit.score))
            }
        }
        for (chunk, s) in outside { if let d = data.tailDocument[chunk] { out.append((chunk, d, s)) } }
        return out
    }

    /// BM25 of given chunks (a shown document's passages), each scored exactly.
    func bm25(_ query: String, chunks: [Int64], k1: Double, b: Double) throws -> [Int64: Double] {
        let data = try self.data()
        let n = Double(data.chunkCount), average = max(data.averageLength, 1)
        var out: [Int64: Double] = [:]
        for (term, queryCount) in analyzer.termCounts(query) {
            let df = Double(Int(data.segment?.postings(term)?.count ?? 0)
                            + (try store.postings(term, after: data.covered, changed: data.changedLive).count))
            guard df > 0 else { continue }
            let idf = log(1 + (n - df + 0.5) / (df + 0.5)) * Double(queryCount)
            for (chunk, tf) in try store.termFrequencies(term, chunks: chunks) {
                guard let dl = data.length(ofChunk: chunk) else { continue }
                let t = Double(tf)
                out[chunk, default: 0] += idf * t * (k1 + 1) / (t + k1 * (1 - b + b * Double(dl) / average))
            }
        }
        return out
    }

    /// FTS5's bm25() with the query's words quoted and OR-ed, so no query text is FTS syntax.
    func fts5(_ query: String) throws -> [Int64: Double] {
        let words = query.lowercased().split { !($0.isLetter || $0.isNumber) }
            .filter { !LexicalAnalyzer.stopwords.contains(String($0)) }
        guard !words.isEmpty else { return [:] }
        let match = Set(words).map { "\"\($0)\"" }.sorted().joined(separator: " OR ")
        return Dictionary(try store.fts5Search(match, limit: 1000).map { ($0.chunkID, $0.score) }, uniquingKeysWith: max)
    }
}
