import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramEval
import EngramStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension BenchCommand {
    struct Scale: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search at a given index size: a synthetic index of N chunks made from a real collection, then timed.",
            discussion: """
            The collection's documents are copied under distinct paths until the index holds N chunks: each copy \
            keeps the real chunk texts and postings, its vectors move by a little noise. They are written through \
            the store's write path and the search segment is built, as `engram index` does. Then: warm searches \
            (one process), the same with a full memory, cold `engram search` processes (their peak RSS), and the \
            vector graph's recall@10 against the exact scan for the collection's queries.

            With --store postgresql://… the same index is measured on PostgreSQL (engram-pg): copied into the \
            store's empty database by `engram-pg import`'s bulk write path, the HNSW index built, then the same \
            figures, recall@10 being pgvector's HNSW top 10 against the exact one and memory_added_p50_ms null \
            (short-term memory does not run on that store yet). docs/postgres.md.

            Examples:
              engram bench scale --chunks 100000 --json
              engram bench scale --chunks 1000000 --work /tmp/scale-1m      # keeps /tmp/scale-1m/index.sqlite
              engram search "cell biology" --index /tmp/scale-1m/index.sqlite
              engram bench scale --chunks 1000000 --work /tmp/scale-1m --reuse --store postgresql://postgres@127.0.0.1:5432/s1m
            """
        )

        @Option(help: "Chunks in the synthetic index.")
        var chunks: Int

        @Option(help: "A BEIR corpus.jsonl (its queries.jsonl beside it gives the queries).")
        var corpus: String = "../shared/datasets/scifact/corpus.jsonl"

        @Option(help: "Folder to keep the index in, as DIR/index.sqlite (default: a temporary folder, removed afterwards).")
        var work: String?

        @Flag(help: "Measure the index an earlier run left in --work DIR instead of building it again (build_s is that run's).")
        var reuse = false

        @Option(help: "Warm queries.")
        var count = 200

        @Option(help: "Cold processes.")
        var cold = 20

        @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
        var model: String?

        @Flag(help: "Print one JSON object: chunks, documents, build_s, index_mb, warm_p50_ms, warm_p95_ms, memory_added_p50_ms, cold_p50_ms, peak_rss_mb, recall@10.")
        var json = false

        @Option(help: "A postgresql:// store to measure instead (the run is handed to engram-pg).")
        var store: String?

        func validate() throws {
            if let store { throw Usage.error("--store: \(store) is not a postgresql:// URL (the SQLite index: --work DIR)") }
            guard chunks > 0 else { throw Usage.error("--chunks must be at least 1 (got \(chunks))") }
            if reuse, work == nil { throw Usage.error("--reuse needs --work DIR (the folder an earlier run kept)") }
            guard FileManager.default.fileExists(atPath: corpus) else { throw Usage.error("--corpus: no file at \(corpus)") }
        }

        func run() async throws {
            let folder = URL(fileURLWithPath: corpus).deletingLastPathComponent()
            let collection = try BeirCollection(folder: folder)
            let encoder = try SentenceEncoder(folder: ModelStore.resolve(model))
            let evaluator = BeirEvaluator(collection: collection, encoder: encoder)
            let progress = Progress(enabled: !json, label: "embedding \(collection.name)")
            let source = try evaluator.prepareIndex(at: BeirEvaluator.cachePath(for: collection)) { done, total in
                progress.update(done: done, total: total)
            }
            progress.finish()

            let root = URL(fileURLWithPath: work ?? NSTemporaryDirectory() + "engram-scale-\(UUID().uuidString.prefix(8))")
            defer { if work == nil { try? FileManager.default.removeItem(at: root) } }
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            let path = root.appendingPathComponent("index.sqlite").path
            let record = root.appendingPathComponent("build.json")
            var built: (documents: Int, chunks: Int) = (0, 0)
            var buildSeconds = 0.0
            if reuse {
                guard let saved = try? JSONSerialization.jsonObject(with: Data(contentsOf: record)) as? [String: Double],
                      Int(saved["chunks"] ?? 0) == chunks else {
                    throw CommandError("\(root.path) holds no index of \(chunks) chunks from an earlier `engram bench scale --work` run")
                }
                built = (Int(saved["documents"] ?? 0), chunks)
                buildSeconds = saved["build_s"] ?? 0
                do {
                    let writer = try IndexStore(path: path, access: .write(create: false, wait: .fail))
                    try writer.refreshSearchSegment()
                }
            } else {
                for suffix in ["", "-wal", "-shm", ".segment", ".segment.tmp"] { try? FileManager.default.removeItem(atPath: path + suffix) }
                let started = Date()
                do {
                    let target = try IndexStore(path: path, access: .write(create: true, wait: .fail))
                    try target.bindModel(identity: encoder.identity, dimension: encoder.dimension)
                    let writing = Progress(enabled: !json, label: "writing")
                    built = try SyntheticIndex.build(from: source, into: target, chunks: chunks) { writing.update(done: $0, total: chunks) }
                    writing.finish()
                    if !json { Terminal.warn("building the search segment of \(built.chunks) chunks") }
                    try target.refreshSearchSegment(force: true)
                }
                buildSeconds = Date().timeIntervalSince(started)
                try JSONSerialization.data(withJSONObject: ["chunks": Double(built.chunks), "documents": Double(built.documents),
                                                            "build_s": buildSeconds]).write(to: record)
            }
            let bytes = ["", ".segment"].compactMap { try? FileManager.default.attributesOfItem(atPath: path + $0)[.size] as? Int }.reduce(0, +)

            let store = try IndexStore(path: path, access: .read)
            let searcher = try Searcher(store: store, encoder: try PrecisionOption.queryEncoder(model: model))
            let texts = collection.queries.map(\.text)
            let m = try Search.measure(searcher: searcher, index: path, texts: texts, count: count, cold: cold, mode: .hybrid)
            let recall = try searcher.graphRecall(searcher.encoder.encode(Array(texts.prefix(100))))
            let warm = Search.percentile(m.warm, 0.5)
            let result = ScaleBenchResult(
                chunks: built.chunks, documents: built.documents, build_s: buildSeconds, index_mb: Double(bytes) / 1e6,
                warm_p50_ms: warm, warm_p95_ms: Search.percentile(m.warm, 0.95),
                memory_added_p50_ms: Search.percentile(m.withMemory, 0.5) - warm,
                cold_p50_ms: Search.percentile(m.cold, 0.5), peak_rss_mb: m.coldRSS.max(),
                recall: recall,
                stage_p50_ms: m.stages.mapValues { Search.percentile($0, 0.5) })
            if json {
                try printJSON(result)
            } else {
                print(String(format: "%d chunks, %d documents: built in %.0f s, %.0f MB (%.0f B/chunk)", result.chunks, result.documents,
                             result.build_s, result.index_mb, Double(bytes) / Double(max(result.chunks, 1))))
                print(String(format: "warm p50 %.2f ms, p95 %.2f ms; memory adds %.2f ms; cold p50 %.0f ms; search peak RSS %.0f MB; graph recall@10 %.3f",
                             result.warm_p50_ms, result.warm_p95_ms, result.memory_added_p50_ms, result.cold_p50_ms,
                             result.peak_rss_mb ?? .nan, result.recall))
                print("warm stages, p50: " + result.stage_p50_ms.sorted { $0.key < $1.key }
                    .map { String(format: "%@ %.2f ms", $0.key, $0.value) }.joined(separator: ", "))
            }
        }
    }
}

extension BenchCommand {
    struct Recall: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The vector graph's recall@10 against the exact scan, and its latency, for several beams.",
            discussion: """
            Example:
              engram bench recall --index /tmp/scale-1m/index.sqlite --beams 128,256,512
            """
        )

        @Option(help: "Index to measure.")
        var index: String

        @Option(help: "A BEIR queries.jsonl to take query texts from.")
        var queries: String = "../shared/datasets/scifact/queries.jsonl"

        @Option(help: "Queries.")
        var count = 100

        @Option(help: "Beams (ef) to measure, comma-separated.")
        var beams = "64,128,256,512"

        @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
        var model: String?

        @Flag(help: "Print one JSON object per beam.")
        var json = false

        func run() async throws {
            let texts = Array(try Search.queryTexts(queries).prefix(count))
            let widths = beams.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !texts.isEmpty, !widths.isEmpty else { throw Usage.error("--beams: give numbers such as 128,256") }
            let searcher = try Searcher(store: try IndexStore(path: index, access: .read),
                                        encoder: try PrecisionOption.queryEncoder(model: model))
            let vectors = searcher.encoder.encode(texts)
            for beam in widths {
                var times: [Double] = []
                for v in vectors {
                    let start = DispatchTime.now()
                    _ = try searcher.nearestChunks(v, k: 10, exact: false, beam: beam)
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
                }
                let recall = try searcher.graphRecall(vectors, beam: beam), p50 = Search.percentile(times, 0.5)
                if json {
                    try printJSONLine(["beam": Double(beam), "recall@10": recall, "p50_ms": p50])
                } else {
                    print(String(format: "beam %4d: recall@10 %.3f, p50 %.2f ms", beam, recall, p50))
                }
            }
        }
    }
}

struct ScaleBenchResult: Encodable {
    let chunks: Int
    let documents: Int
    let build_s: Double
    let index_mb: Double
    let warm_p50_ms: Double
    let warm_p95_ms: Double
    let memory_added_p50_ms: Double
    let cold_p50_ms: Double
    /// The largest resident set of the cold search processes (null without GNU time to read it).
    let peak_rss_mb: Double?
    let recall: Double
    let stage_p50_ms: [String: Double]

    enum CodingKeys: String, CodingKey {
        case chunks, documents, build_s, index_mb, warm_p50_ms, warm_p95_ms, memory_added_p50_ms, cold_p50_ms, peak_rss_mb
        case recall = "recall@10"
        case stage_p50_ms
    }
}
