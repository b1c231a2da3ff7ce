import EngramEmbedding
import EngramEngine
import EngramEval
import EngramSearchIndex
import EngramStore
import Foundation
import Testing

/// The search segment (vector graph and postings beside the index): its graph against the exact scan,
/// incremental changes, a missing, damaged or foreign segment, and a writer killed while building one.
@Suite(.serialized) struct SegmentTests {
    /// Every chunk of an index, with its document's path.
    static func chunks(_ store: IndexStore) throws -> [(id: Int64, path: String)] {
        try store.read {
            try store.documents().flatMap { d in try store.chunks(ofDocument: d.id).map { ($0.id, d.path) } }
        }
    }

    static func approximate() -> SearchOptions {
        var o = SearchOptions()
        o.vectorSearch = .approximate
        return o
    }

    // Skipped, with the reason in the test log, when ../shared/datasets/medline is not beside the clone.
    @Test(.enabled(if: EngineSupport.hasMedline, "needs ../shared/datasets/medline"))
    func graphMatchesTheExactScanOnMedline() throws {
        let encoder = try EngineSupport.encoder.get()
        let collection = try BeirCollection(folder: EngineSupport.medline)
        let evaluator = BeirEvaluator(collection: collection, encoder: encoder)
        let store = try evaluator.prepareIndex(at: EngineSupport.temporaryFolder().appendingPathComponent("medline.sqlite").path)
        let searcher = try Searcher(store: store, encoder: encoder)
        let queries = collection.queries.map(\.text)
        var found = 0.0
        for v in encoder.encode(queries) {
            let exact = try searcher.nearestChunks(v, k: 10, exact: true)
            let graph = try searcher.nearestChunks(v, k: 10, exact: false)
            #expect(exact.count == 10)
            found += Double(Set(graph).intersection(exact).count) / 10
        }
        let recall = found / Double(queries.count)
        #expect(recall >= 0.95, "graph recall@10 \(recall)")

        // The whole pipeline on the graph ranks as it does on the exact scan.
        let exact = try evaluator.evaluate(searcher: searcher, options: SearchOptions())
        let graph = try evaluator.evaluate(searcher: searcher, options: Self.approximate())
        #expect(abs(exact.ndcg10 - graph.ndcg10) <= 0.003, "nDCG@10 exact \(exact.ndcg10), graph \(graph.ndcg10)")
        #expect((graph.annRecall10 ?? 0) >= 0.95)
    }

    @Test func addsDeletesAndRenamesKeepTheGraphRight() throws {
        let docs = try EngineSupport.copyOfFixtures()
        let index = docs.deletingLastPathComponent().appendingPathComponent("segment.sqlite").path
        #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0)
        #expect(FileManager.default.fileExists(atPath: index + ".segment"))
        let encoder = try EngineSupport.encoder.get()

        /// Each chunk is its own nearest neighbour through the graph, and no other chunk comes back.
        func checkGraph(expectPaths present: [String], absent: [String]) throws {
            let store = try IndexStore(path: index, access: .read)
            let searcher = try Searcher(store: store, encoder: encoder)
            let all = try Self.chunks(store)
            let ids = Set(all.map(\.id))
            for c in all {
                let v = try #require(try searcher.chunkVector(c.id))
                let near = try searcher.nearestChunks(v, k: 3, exact: false)
                #expect(near.first == c.id, "chunk \(c.id) of \(c.path) is not its own nearest neighbour: \(near)")
                #expect(Set(near).isSubset(of: ids), "a chunk that left the index came back: \(near)")
            }
            let paths = Set(all.map { ($0.path as NSString).lastPathComponent })
            for p in present { #expect(paths.contains(p), "\(p) missing") }
            for p in absent { #expect(!paths.contains(p), "\(p) still indexed") }
            let hits = try searcher.search("sourdough starter feeding", options: Self.approximate()).hits.map { ($0.path as NSString).lastPathComponent }
            if absent.contains("sourdough.md") { #expect(!hits.contains("sourdough.md")) }
            if present.contains("sourdough.md") { #expect(hits.first == "sourdough.md", "\(hits)") }
        }
        try checkGraph(expectPaths: ["sourdough.md"], absent: [])

        // Through `engram index` (a small index folds every change into a new segment).
        let sourdough = docs.appendingPathComponent("notes/sourdough.md")
        let text = try String(contentsOf: sourdough, encoding: .utf8)
        try FileManager.default.removeItem(at: sourdough)
        #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0)
        try checkGraph(expectPaths: [], absent: ["sourdough.md"])
        try EngineSupport.write(text, to: docs.appendingPathComponent("baking/starter.md"))
        #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0)
        try checkGraph(expectPaths: ["starter.md"], absent: ["sourdough.md"])
        try FileManager.default.moveItem(at: docs.appendingPathComponent("baking/starter.md"), to: sourdough)
        #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0)
        try checkGraph(expectPaths: ["sourdough.md"], absent: ["starter.md"])
        #expect(try IndexStore(path: index, access: .read).changedChunks().isEmpty)

        // Changes the segment has not folded in yet (as a large index keeps them) are read from SQLite.
        do {
            let writer = try IndexStore(path: index, access: .write(create: false, wait: .fail))
            let indexer = try Indexer(store: writer, encoder: encoder)
            let gone = try #require(try writer.document(path: sourdough.path))
            try writer.write { try writer.deleteDocument(id: gone.id) }
            var summary = IndexSummary()
            try indexer.index(documents: [PendingDocument(path: docs.path + "/baking/levain.md", size: 10, mtime: 0, hash: "levain",
                                                          type: "markdown", title: "Levain", text: text)], summary: &summary)
        }
        #expect(try !IndexStore(path: index, access: .read).changedChunks().isEmpty)
        try checkGraph(expectPaths: ["levain.md"], absent: ["sourdough.md"])
        let (s, out, err) = try EngineSupport.run(["search", "sourdough starter feeding", "--index", index, "--no-memory", "-l"])
        #expect(s == 0 && out.hasPrefix(docs.path + "/baking/levain.md"), "\(out) \(err)")
    }

    @Test func aMissingDamagedOrForeignSegmentFallsBackToTheExactScan() throws {
        let docs = try EngineSupport.copyOfFixtures()
        let index = docs.deletingLastPathComponent().appendingPathComponent("fallback.sqlite").path
        let other = docs.deletingLastPathComponent().appendingPathComponent("other.sqlite").path
        #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0)
        #expect(try EngineSupport.run(["index", docs.appendingPathComponent("notes").path, "--index", other, "--quiet"]).0 == 0)
        let query = ["search", "how do plants make sugar from light", "--index", index, "--no-memory", "-l", "-n", "5"]
        let (s0, expected, err0) = try EngineSupport.run(query)
        #expect(s0 == 0 && err0.isEmpty && !expected.isEmpty, "\(err0)")

        let segment = index + ".segment"
        let cases: [(String, () throws -> Void, String?)] = [
            ("missing", { try FileManager.default.removeItem(atPath: segment) }, nil),
            ("damaged", { try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: segment)) }, "not an engram segment"),
            ("truncated", {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: other + ".segment"))
                try bytes.prefix(600).write(to: URL(fileURLWithPath: segment))
            }, segment),
            ("foreign", {
                try FileManager.default.removeItem(atPath: segment)
                try FileManager.default.copyItem(atPath: other + ".segment", toPath: segment)
            }, "belongs to another index"),
        ]
        for (name, damage, warning) in cases {
            try? FileManager.default.removeItem(atPath: segment)
            #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0)
            try damage()
            let (s, out, err) = try EngineSupport.run(query)
            #expect(s == 0 && out == expected, "\(name): \(out) vs \(expected)")
            if let warning {
                #expect(err.split(separator: "\n").count == 1 && err.contains(warning), "\(name): \(err)")
            } else {
                #expect(err.isEmpty, "\(name): \(err)")
            }
            // The next writer builds it again.
            #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0)
            let rebuilt = try Segment(path: segment)
            #expect(rebuilt.rows == (try IndexStore(path: index, access: .read).chunkCount), "\(name)")
            let (s2, out2, err2) = try EngineSupport.run(query)
            #expect(s2 == 0 && out2 == expected && err2.isEmpty, "\(name) after rebuild: \(err2)")
        }
    }

    /// A search with memory scores its expanded query and its own query in one pass over the candidates'
    /// vectors: each must get exactly what a search alone gets (through the graph, where each has candidates
    /// of its own beyond the floor sample; the exact scan; a filter), and, to keep the query's best match, the
    /// expanded query the same plus the query's own candidates.
    @Test func severalQueryVectorsScoreAsEachWouldAlone() throws {
        let docs = try EngineSupport.copyOfFixtures()
        let folder = docs.deletingLastPathComponent()
        let source = folder.appendingPathComponent("source.sqlite").path, index = folder.appendingPathComponent("many.sqlite").path
        #expect(try EngineSupport.run(["index", docs.path, "--index", source, "--quiet"]).0 == 0)
        let encoder = try EngineSupport.encoder.get()
        do {
            let target = try IndexStore(path: index, access: .write(create: true, wait: .fail))
            try target.bindModel(identity: encoder.identity, dimension: 384)
            _ = try SyntheticIndex.build(from: try IndexStore(path: source, access: .read), into: target, chunks: 12_000)
        }
        #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0, "the segment and its graph")
        let store = try IndexStore(path: index, access: .read)
        let searcher = try Searcher(store: store, encoder: encoder)
        let ids = try store.read { try store.documents().map(\.id).sorted() }
        #expect(ids.count > 4096, "more documents than the floor sample: each query has candidates of its own")
        let (v1, v2) = (encoder.encode("sourdough starter"), encoder.encode("tides and the moon"))
        let also1 = Set(ids.suffix(40)), also2 = Set(ids.prefix(40))
        func same(_ a: Searcher.DocumentScores, _ b: Searcher.DocumentScores) -> Bool {
            a.count == b.count && a.allSatisfy { d, x in b[d].map { $0.score == x.score && $0.chunkID == x.chunkID } ?? false }
        }
        var exact = SearchOptions()
        exact.vectorSearch = .exact
        for (options, allowed) in [(Self.approximate(), nil), (exact, nil), (Self.approximate(), Set(ids.shuffled().prefix(300)))] {
            let pair = try searcher.semanticScores([(v1, also1), (v2, also2)], options: options, allowed: allowed)
            let alone = [try searcher.semanticScores(v1, also: also1, options: options, allowed: allowed),
                         try searcher.semanticScores(v2, also: also2, options: options, allowed: allowed)]
            #expect(same(pair[0], alone[0]) && same(pair[1], alone[1]), "\(options.vectorSearch) \(allowed?.count ?? 0)")
            let all = try searcher.semanticScores([(v1, also1), (v2, also2)], options: options, allowed: allowed, firstScoresAll: true)
            #expect(same(all[1], alone[1]))
            #expect(alone[0].allSatisfy { d, x in all[0][d].map { $0.score == x.score && $0.chunkID == x.chunkID } ?? false })
            #expect(Set(all[0].keys).isSuperset(of: all[1].keys))
        }
        let graph = try searcher.semanticScores([(v1, also1), (v2, also2)], options: Self.approximate(), firstScoresAll: true)
        let single = try searcher.semanticScores(v1, also: also1, options: Self.approximate())
        #expect(graph[0].count > single.count, "the expanded query also scores the query's own candidates")

        // A filter too wide to score all its documents' chunks: the graph proposes candidates among them.
        searcher.filterScoresAllUpTo = 100
        let wide = Set(ids.shuffled().prefix(2_000))
        let filtered = try searcher.semanticScores([(v1, also1), (v2, also2)], options: Self.approximate(), allowed: wide)
        let alone = [try searcher.semanticScores(v1, also: also1, options: Self.approximate(), allowed: wide),
                     try searcher.semanticScores(v2, also: also2, options: Self.approximate(), allowed: wide)]
        #expect(same(filtered[0], alone[0]) && same(filtered[1], alone[1]), "each vector as alone, through the graph's filtered path")
        #expect(filtered.allSatisfy { Set($0.keys).isSubset(of: wide) && $0.count >= SearchOptions().limit })
        let exactScores = try searcher.semanticScores(v1, options: exact, allowed: wide)
        #expect(filtered[0].count < exactScores.count, "the graph's path scores candidates, not every allowed document")
        #expect(filtered[0].allSatisfy { d, x in exactScores[d].map { $0.score == x.score && $0.chunkID == x.chunkID } ?? false },
                "a candidate scores as its best chunk, as the exact scan finds it")
        // Asked for more results than the candidates hold: every allowed chunk is scanned instead.
        var many = Self.approximate()
        many.limit = wide.count + 1
        let fallback = try searcher.semanticScores(v1, options: many, allowed: wide)
        #expect(same(fallback, exactScores), "\(fallback.count) of \(exactScores.count)")
    }

    @Test func aWriterKilledWhileBuildingTheSegmentLeavesASearchableIndex() throws {
        let docs = try EngineSupport.copyOfFixtures()
        let folder = docs.deletingLastPathComponent()
        let source = folder.appendingPathComponent("source.sqlite").path
        let index = folder.appendingPathComponent("killed.sqlite").path
        #expect(try EngineSupport.run(["index", docs.path, "--index", source, "--quiet"]).0 == 0)
        // A synthetic index large enough that building its graph takes a while; no segment yet.
        do {
            let target = try IndexStore(path: index, access: .write(create: true, wait: .fail))
            try target.bindModel(identity: try EngineSupport.encoder.get().identity, dimension: 384)
            _ = try SyntheticIndex.build(from: try IndexStore(path: source, access: .read), into: target, chunks: 20_000)
        }
        #expect(!FileManager.default.fileExists(atPath: index + ".segment"))
        let query = ["search", "sourdough starter", "--index", index, "--no-memory", "-l", "-n", "3"]
        let (_, expected, _) = try EngineSupport.run(query)
        #expect(expected.contains("sourdough.md"))

        let p = Process()
        p.executableURL = URL(fileURLWithPath: EngineSupport.engram)
        p.arguments = ["index", docs.path, "--index", index, "--quiet"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline && p.isRunning && !FileManager.default.fileExists(atPath: index + ".segment.tmp") {
            Thread.sleep(forTimeInterval: 0.01)
        }
        #expect(p.isRunning, "the writer finished before it could be killed")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: index + ".segment"))

        // Searchable as before, with the chunks the killed run added.
        let (s1, out1, err1) = try EngineSupport.run(query)
        #expect(s1 == 0 && out1.contains("sourdough.md"), "\(out1) \(err1)")
        #expect(try EngineSupport.checkConsistency(try IndexStore(path: index, access: .read)).isEmpty)

        // The next run completes the segment, and search through it agrees with the exact scan.
        let (s2, _, err2) = try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"])
        #expect(s2 == 0, "\(err2)")
        let segment = try Segment(path: index + ".segment")
        let store = try IndexStore(path: index, access: .read)
        #expect(segment.rows == (try store.chunkCount) && segment.hasGraph)
        let searcher = try Searcher(store: store, encoder: try EngineSupport.encoder.get())
        let top = try searcher.search("sourdough starter", options: Self.approximate()).hits.first?.path ?? ""
        #expect(top.hasSuffix("sourdough.md"), "\(top)")
        let (s3, out3, _) = try EngineSupport.run(query)
        #expect(s3 == 0 && out3.contains("sourdough.md"))
    }
}
