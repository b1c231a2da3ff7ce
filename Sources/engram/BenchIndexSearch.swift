import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramEval
import EngramMemory
import EngramStore
import Foundation

extension BenchCommand {
    struct Index: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Indexing throughput: a BEIR corpus written out as Markdown files, indexed, then re-indexed unchanged."
        )

        @Option(help: "A BEIR corpus.jsonl.")
        var corpus: String = "../shared/datasets/scifact/corpus.jsonl"

        @Option(help: "Number of documents (0 = all).")
        var limit = 0

        @Option(help: "Folder for the files and the index (default: a temporary folder, removed afterwards).")
        var work: String?

        @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
        var model: String?

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() async throws {
            let root = URL(fileURLWithPath: work ?? NSTemporaryDirectory() + "engram-bench-\(UUID().uuidString.prefix(8))")
            defer { if work == nil { try? FileManager.default.removeItem(at: root) } }
            let folder = root.appendingPathComponent("docs")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            guard let data = FileManager.default.contents(atPath: corpus) else { throw CommandError("cannot read \(corpus)") }
            var written = 0
            for line in data.split(separator: UInt8(ascii: "\n")) where limit == 0 || written < limit {
                guard let d = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
                let id = "\(d["_id"] ?? written)"
                let text = "# \(d["title"] as? String ?? id)\n\n\(d["text"] as? String ?? "")\n"
                try Data(text.utf8).write(to: folder.appendingPathComponent("\(id).md"))
                written += 1
            }
            let indexPath = root.appendingPathComponent("bench.sqlite").path
            try? FileManager.default.removeItem(atPath: indexPath)
            let encoder = try SentenceEncoder(folder: ModelStore.resolve(model))
            let store = try IndexStore(path: indexPath, access: .write(create: true, wait: Stores.waitPolicy(indexPath, noWait: false)))
            let indexer = try Indexer(store: store, encoder: encoder)
            let first = try indexer.index(folder: folder.path)
            // The segment (graph and postings) is part of indexing: its time counts in the throughput.
            let segmentStart = Date()
            let segment = try store.refreshSearchSegment(force: true)
            let segmentSeconds = Date().timeIntervalSince(segmentStart)
            let again = try indexer.index(folder: folder.path)
            let seconds = first.seconds + segmentSeconds
            let bytes = try store.stats().bytes + Int64(segment?.bytes ?? 0)
            let result = IndexBenchResult(
                documents: written, chunks: first.chunksEmbedded, index_seconds: seconds,
                docs_per_s: Double(first.added) / seconds, chunks_per_s: Double(first.chunksEmbedded) / seconds,
                segment_seconds: segmentSeconds, segment_share: segmentSeconds / max(first.seconds, 1e-9),
                reindex_unchanged_seconds: again.seconds, index_bytes: bytes,
                bytes_per_chunk: first.chunksEmbedded > 0 ? Double(bytes) / Double(first.chunksEmbedded) : 0,
                peak_rss_mb: ProcessStats.peakRSSMegabytes())
            if json {
                try printJSON(result)
            } else {
                print(String(format: "index: %d files, %d chunks in %.1f s: %.1f docs/s, %.1f chunks/s; index %.1f MB (%.0f B/chunk)",
                             written, result.chunks, result.index_seconds, result.docs_per_s, result.chunks_per_s,
                             Double(result.index_bytes) / 1e6, result.bytes_per_chunk))
                print(String(format: "search segment: %.2f s, %.1f %% of the embedding run", segmentSeconds, 100 * result.segment_share))
                print(String(format: "re-index, nothing changed: %.3f s; peak RSS %.0f MB", again.seconds, result.peak_rss_mb))
            }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search latency: warm (in one process) and cold (a new `engram search` process per query)."
        )

        @Option(help: "Index to search.")
        var index: String

        @Option(help: "A BEIR queries.jsonl to take query texts from.")
        var queries: String = "../shared/datasets/scifact/queries.jsonl"

        @Option(help: "Warm queries.")
        var count = 200

        @Option(help: "Cold processes.")
        var cold = 20

        @Option(help: "hybrid, semantic or lexical.")
        var mode: SearchMode = .hybrid

        @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
        var model: String?

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() async throws {
            let texts = try Self.queryTexts(queries)
            let store = try IndexStore(path: index, access: .read)
            let searcher = try Searcher(store: store, encoder: try PrecisionOption.queryEncoder(model: model))
            let m = try Self.measure(searcher: searcher, index: index, texts: texts, count: count, cold: cold, mode: mode)
            let (warm, stages, withMemory, memoryStages, coldTimes) = (m.warm, m.stages, m.withMemory, m.memoryStages, m.cold)
            let config = MemoryConfig()
            let stats = try store.stats()
            let result = SearchBenchResult(
                documents: stats.documents, chunks: stats.chunks, mode: mode.rawValue,
                warm_p50_ms: Self.percentile(warm, 0.5), warm_p95_ms: Self.percentile(warm, 0.95),
                stage_p50_ms: stages.mapValues { Self.percentile($0, 0.5) },
                memory_stage_p50_ms: memoryStages.mapValues { Self.percentile($0, 0.5) },
                memory_p50_ms: Self.percentile(withMemory, 0.5), memory_p95_ms: Self.percentile(withMemory, 0.95),
                cold_p50_ms: Self.percentile(coldTimes, 0.5), cold_p95_ms: Self.percentile(coldTimes, 0.95),
                cold_peak_rss_mb: m.coldRSS.max(), peak_rss_mb: ProcessStats.peakRSSMegabytes())
            if json {
                try printJSON(result)
            } else {
                print(String(format: "search (%@) over %d documents / %d chunks: warm p50 %.2f ms, p95 %.2f ms (%d queries); cold process p50 %.0f ms, p95 %.0f ms (%d runs), peak RSS %.0f MB; this process %.0f MB",
                             mode.rawValue, stats.documents, stats.chunks, result.warm_p50_ms, result.warm_p95_ms, count,
                             result.cold_p50_ms, result.cold_p95_ms, cold, result.cold_peak_rss_mb ?? .nan, result.peak_rss_mb))
                let order = ["embed", "semantic", "lexical", "rank"].filter { result.stage_p50_ms[$0] != nil }
                print("warm stages, p50: " + order.map { String(format: "%@ %.2f ms", $0, result.stage_p50_ms[$0]!) }.joined(separator: ", "))
                print(String(format: "with a full memory (%d entries): warm p50 %.2f ms, p95 %.2f ms: memory adds %.2f ms at the median",
                             config.capacity + 1, result.memory_p50_ms, result.memory_p95_ms, result.memory_p50_ms - result.warm_p50_ms))
                let memoryOrder = ["embed", "semantic", "lexical", "expansion_lexical", "rank"]
                    .filter { result.memory_stage_p50_ms[$0] != nil }
                print("memory stages, p50: " + memoryOrder.map { String(format: "%@ %.2f ms", $0, result.memory_stage_p50_ms[$0]!) }.joined(separator: ", "))
            }
        }

        /// Warm searches, the same with a full memory, and cold `engram search` processes.
        static func measure(searcher: Searcher, index: String, texts: [String], count: Int, cold: Int, mode: SearchMode,
                            extraArguments: [String] = []) throws
            -> (warm: [Double], stages: [String: [Double]], withMemory: [Double], memoryStages: [String: [Double]], cold: [Double],
                coldRSS: [Double])
        {
            var options = SearchOptions()
            options.mode = mode
            // One untimed pass first: the index's pages are then in memory, as for anyone searching it all day.
            for i in 0..<count { _ = try searcher.search(texts[i % texts.count], options: options) }
            // Each query alone and with a full memory (32 entries, the profile capacity, the latest one on
            // topic), one after the other, so drift on a busy machine reaches both alike.
            let config = MemoryConfig()
            let now = Date().timeIntervalSince1970
            let memoryVectors = searcher.encoder.encode(Array(texts.prefix(config.capacity)))
            let memorySearch = MemoryRanker(searcher: searcher, config: config)
            var warm: [Double] = [], withMemory: [Double] = []
            var stages: [String: [Double]] = [:], memoryStages: [String: [Double]] = [:]
            for i in 0..<count {
                let text = texts[i % texts.count]
                var start = DispatchTime.now()
                let response = try searcher.search(text, options: options)
                warm.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
                for (stage, ms) in response.timings where stage != "load" && stage != "total" { stages[stage, default: []].append(ms) }

                var entries = zip(texts.prefix(config.capacity), memoryVectors).enumerated().map { j, tv in
                    MemoryStore.Entry(id: Int64(j + 1), profile: "bench", kind: "query", text: tv.0, vector: tv.1,
                                         at: now - Double(config.capacity - j) * 60, sequence: j)
                }
                entries.append(MemoryStore.Entry(id: 999, profile: "bench", kind: "query", text: text + " in detail",
                                                    vector: searcher.encoder.encode(text + " in detail"), at: now - 30, sequence: config.capacity))
                start = DispatchTime.now()
                let result = try memorySearch.search(text, entries: entries, now: now, searches: config.capacity + 1, options: options)
                withMemory.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
                for (stage, ms) in result.response.timings where stage != "total" { memoryStages[stage, default: []].append(ms) }
            }
            var coldTimes: [Double] = [], coldRSS: [Double] = []
            let binary = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
            let engram = binary.hasPrefix("/") ? binary : FileManager.default.currentDirectoryPath + "/" + binary
            // A child's peak RSS cannot be read from this process (getrusage counts the parent's pages it
            // was spawned from): GNU time reports it from a small parent of its own, when installed.
            let time = "/usr/bin/time", timed = FileManager.default.isExecutableFile(atPath: time)
            for i in 0..<cold {
                let p = Process()
                let arguments = ["search", texts[i % texts.count], "--index", index, "--mode", mode.rawValue, "--json"] + extraArguments
                p.executableURL = URL(fileURLWithPath: timed ? time : engram)
                p.arguments = timed ? ["-f", "engram-peak-rss-kb %M", engram] + arguments : arguments
                p.standardOutput = FileHandle.nullDevice
                let errors = Pipe()
                p.standardError = errors
                let start = DispatchTime.now()
                try p.run()
                let said = errors.fileHandleForReading.readDataToEndOfFile()
                p.waitUntilExit()
                coldTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
                if let line = String(decoding: said, as: UTF8.self).split(separator: "\n").last(where: { $0.hasPrefix("engram-peak-rss-kb ") }),
                   let kb = Double(line.dropFirst("engram-peak-rss-kb ".count)) {
                    coldRSS.append(kb / 1024)
                }
            }
            return (warm, stages, withMemory, memoryStages, coldTimes, coldRSS)
        }

        /// The query texts of a BEIR queries.jsonl.
        static func queryTexts(_ path: String) throws -> [String] {
            guard let data = FileManager.default.contents(atPath: path) else { throw CommandError("cannot read \(path)") }
            let texts = data.split(separator: UInt8(ascii: "\n")).compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])?["text"] as? String
            }
            guard !texts.isEmpty else { throw CommandError("no queries in \(path)") }
            return texts
        }

        static func percentile(_ xs: [Double], _ p: Double) -> Double { BenchFigures.percentile(xs, p) }
    }
}

struct IndexBenchResult: Encodable {
    let documents: Int
    let chunks: Int
    let index_seconds: Double
    let docs_per_s: Double
    let chunks_per_s: Double
    /// Building the search segment, and its share of the embedding run.
    let segment_seconds: Double
    let segment_share: Double
    let reindex_unchanged_seconds: Double
    let index_bytes: Int64
    let bytes_per_chunk: Double
    let peak_rss_mb: Double
}

struct SearchBenchResult: Encodable {
    let documents: Int
    let chunks: Int
    let mode: String
    let warm_p50_ms: Double
    let warm_p95_ms: Double
    /// Median of each stage of a warm search (embed, semantic, lexical, rank).
    let stage_p50_ms: [String: Double]
    /// The same for a search with a full memory (plus guard, memory_semantic, memory_lexical, fuse, explain).
    let memory_stage_p50_ms: [String: Double]
    let memory_p50_ms: Double
    let memory_p95_ms: Double
    let cold_p50_ms: Double
    let cold_p95_ms: Double
    /// The largest resident set of a cold `engram search` process (null without GNU time to read it).
    let cold_peak_rss_mb: Double?
    let peak_rss_mb: Double
}
