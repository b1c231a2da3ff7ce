import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramEval
import EngramMemory
import Foundation

extension EvalCommand {
    struct Sessions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay simulated search sessions and measure what short-term memory is worth.",
            discussion: """
                DIR is a BEIR-format folder with sessions.jsonl (shared/tools/make_sessions.py makes one for any \
                collection). Each session starts from an empty memory; its history is searched at its timestamps; \
                then the target runs at its own timestamp with memory, without memory, as its full query (the \
                ceiling) and as the previous query concatenated with it (the naive anchor). nDCG@10 per kind.
                Example: engram eval sessions ../shared/datasets/medline --json
                """
        )

        @Argument(help: "A BEIR-format folder.")
        var dir: String

        @Option(help: "Sessions file (default: DIR/sessions.jsonl).")
        var sessions: String?

        @Option(help: "Half-life of a memory entry (e.g. 1d, 2h, 30m).")
        var halfLife: String?

        @Flag(help: "Simulate opens: after each history search, open its first result judged relevant to that search (a cascade model).")
        var clicks = false

        @OptionGroup(title: "Memory tuning") var memory: MemoryTuning

        @Option(help: ArgumentHelp("Also run these memory flags over the others (repeatable), e.g. --sweep \"--tau=0.6\": "
                                   + "one process embeds the texts and ranks without memory once; prints a JSON array, one report per sweep.",
                                   valueName: "flags"))
        var sweep: [String] = []

        @Option(help: "Cache index file (default: $ENGRAM_HOME/cache/beir-NAME.sqlite).")
        var index: String?

        @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
        var model: String?

        @Option(help: "Also write every session's raw scores (candidates' cosine and BM25 for the target and each history entry) as JSON lines to this file, for analysis.")
        var details: String?

        @Flag(help: "Print JSON: {\"dataset\", \"kinds\": {KIND: {\"sessions\", \"ndcg@10_memory\", \"ndcg@10_baseline\", \"ndcg@10_full_query\", ...}}}.")
        var json = false

        func config() throws -> MemoryConfig {
            var c = try MemoryConfig.load(home: ModelStore.home())
            try memory.apply(to: &c, halfLife: halfLife)
            return c
        }

        func run() async throws {
            let collection = try BeirCollection(folder: URL(fileURLWithPath: dir))
            let list = try SearchSession.load(sessions ?? URL(fileURLWithPath: dir).appendingPathComponent("sessions.jsonl").path)
            let encoder = try SentenceEncoder(folder: ModelStore.resolve(model))
            let evaluator = BeirEvaluator(collection: collection, encoder: encoder)
            let progress = Progress(enabled: !json, label: "indexing \(collection.name)")
            let store = try evaluator.prepareIndex(at: index ?? BeirEvaluator.cachePath(for: collection)) { progress.update(done: $0, total: $1) }
            progress.finish()
            let searcher = try Searcher(store: store, encoder: encoder)
            var sink: FileHandle?
            if let details {
                guard FileManager.default.createFile(atPath: details, contents: nil), let h = FileHandle(forWritingAtPath: details) else {
                    throw CommandError("--details: cannot write \(details)")
                }
                sink = h
            }
            defer { try? sink?.close() }
            let lines = JSONEncoder()
            var configs = [try config()]
            for flags in sweep {
                let tuning = try MemoryTuning.parse(flags.split(separator: " ").map(String.init))
                var c = configs[0]
                try tuning.apply(to: &c, halfLife: nil)
                configs.append(c)
            }
            var reports = try SessionEvaluator(collection: collection, searcher: searcher).evaluate(
                list, configs: configs, clicks: clicks,
                details: sink.map { h in { try h.write(contentsOf: lines.encode($0) + Data("\n".utf8)) } })
            if !sweep.isEmpty {
                for (i, flags) in ([""] + sweep).enumerated() { reports[i].setting = flags }
                try printJSON(reports)
                return
            }
            let report = reports[0]
            if json {
                try printJSON(report)
                return
            }
            print("\(report.dataset): nDCG@10 per kind (recovered = share of the gap to the full query closed by memory)")
            print("kind        sessions  baseline  memory   full     concat   change   recovered")
            for kind in ["drilldown", "fresh", "buried", "stale", "switch", "collide", "related"] {
                guard let k = report.kinds[kind] else { continue }
                print(String(format: "%-10@  %8d  %.4f    %.4f   %.4f   %.4f   %+6.1f%%  %+6.1f%%", kind, k.sessions, k.baseline, k.memory,
                             k.fullQuery, k.concat, k.relativeChange * 100, k.recovered * 100))
            }
        }
    }
}

