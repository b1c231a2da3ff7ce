import ArgumentParser
import EngramEmbedding
import Foundation

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Engram's speed.",
        subcommands: [Embed.self, Index.self, Search.self, Scale.self, Recall.self, Concurrent.self]
    )

    struct Embed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embedding throughput on the first documents of a BEIR corpus.",
            discussion: "Embeds `title + \" \" + text` of the first --limit documents, --rounds times, and prints the median."
        )

        @Option(help: "A BEIR corpus.jsonl.")
        var corpus: String = "../shared/datasets/scifact/corpus.jsonl"

        @Option(help: "Number of documents.")
        var limit = 512

        @Option(help: "Timed rounds (after one warm-up).")
        var rounds = 3

        @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
        var model: String?

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() async throws {
            let encoder = try SentenceEncoder(folder: ModelStore.resolve(model))
            let passages = try BeirPassages.read(corpus, limit: limit)
            let encodings = encoder.tokenize(passages)
            let tokens = encodings.reduce(0) { $0 + $1.ids.count }
            _ = encoder.encode(tokenized: Array(encodings.prefix(32)))  // warm-up
            var seconds: [Double] = []
            for _ in 0..<max(1, rounds) {
                let start = DispatchTime.now()
                _ = encoder.encode(tokenized: encodings)
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9)
            }
            // Tokenisation is timed once on its own; it is part of the cost of embedding text.
            let tokStart = DispatchTime.now()
            _ = encoder.tokenize(passages)
            let tokSeconds = Double(DispatchTime.now().uptimeNanoseconds - tokStart.uptimeNanoseconds) / 1e9
            let median = seconds.sorted()[seconds.count / 2] + tokSeconds
            let result = EmbedBenchResult(
                passages: passages.count, tokens: tokens, rounds: seconds.count, seconds_median: median,
                passages_per_s: Double(passages.count) / median, tokens_per_s: Double(tokens) / median,
                tokenize_seconds: tokSeconds, peak_rss_mb: ProcessStats.peakRSSMegabytes(), threads: Parallel.workers)
            if json {
                try printJSON(result)
            } else {
                print(String(format: "embed: %d passages, %d tokens (no padding), median of %d rounds %.3f s",
                             result.passages, result.tokens, result.rounds, result.seconds_median))
                print(String(format: "  %.1f passages/s, %.0f tokens/s, tokenize %.3f s, peak RSS %.0f MB, %d threads",
                             result.passages_per_s, result.tokens_per_s, tokSeconds, result.peak_rss_mb, result.threads))
            }
        }
    }
}

struct EmbedBenchResult: Encodable {
    let passages: Int
    let tokens: Int
    let rounds: Int
    let seconds_median: Double
    let passages_per_s: Double
    let tokens_per_s: Double
    let tokenize_seconds: Double
    let peak_rss_mb: Double
    let threads: Int
}

/// `title + " " + text` of the first documents of a BEIR corpus.
enum BeirPassages {
    static func read(_ path: String, limit: Int) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandError("cannot read corpus \(path)")
        }
        var out: [String] = []
        for line in data.split(separator: UInt8(ascii: "\n")) where out.count < limit {
            guard let obj = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { continue }
            out.append("\(obj["title"] as? String ?? "") \(obj["text"] as? String ?? "")")
        }
        return out
    }
}

/// Resource figures of this process.
enum ProcessStats {
    /// Peak resident set size (VmHWM) in MB, from /proc/self/status.
    static func peakRSSMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}
