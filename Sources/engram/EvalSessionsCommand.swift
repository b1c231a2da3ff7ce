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

        @OptionGroup(title: "Memory tuning") var memory: MemoryOptions

        @Option(help: "Cache index file (default: $ENGRAM_HOME/cache/beir-NAME.sqlite).")
        var index: String?

        @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
        var model: String?

        @Option(help: "Also write every session's raw scores (candidates' cosine and BM25 for the target and each history entry) as JSON lines to this file, for analysis.")
        var details: String?

        @Flag(help: "Print JSON: {\"dataset\", \"kinds\": {KIND: {\"sessions\", \"ndcg@10_memory\", \"ndcg@10_baseline\", \"ndcg@10_full_query\", ...}}}.")
        var json = false

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
                    throw ValidationError("--details: cannot write \(details)")
                }
                sink = h
            }
            defer { try? sink?.close() }
            let lines = JSONEncoder()
            let report = try SessionEvaluator(collection: collection, searcher: searcher).evaluate(
                list, config: try memory.config(),
                details: sink.map { h in { try h.write(contentsOf: lines.encode($0) + Data("\n".utf8)) } })
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

/// Memory knobs shared by `search` and `eval sessions`; unset ones come from the config file and environment.
struct MemoryOptions: ParsableArguments {
    @Option(help: "Half-life of a memory entry (e.g. 1d, 2h, 30m).")
    var halfLife: String?

    @Option(help: "Weight factor per later search.")
    var searchDecay: Double?

    @Option(help: "Memory strength β.")
    var beta: Double?

    @Option(help: "Topic guard threshold τ.")
    var tau: Double?

    @Option(help: "Width of the topic guard's logistic step (smaller: sharper).")
    var gateWidth: Double?

    @Option(help: "Weight kept by entries near the topic (past --near-tau, short of --tau); 0 turns it off.")
    var nearWeight: Double?

    @Option(help: "Similarity past which an entry counts as near the topic.")
    var nearTau: Double?

    @Option(help: "What the topic guard compares entries with: query, results, either or margin.")
    var guardMode: String?

    @Option(help: "In margin mode, the share of the query's best chunk cosine subtracted from an entry's cosine.")
    var marginWeight: Double?

    @Option(help: "Rescale remembered queries' BM25 to the current query's (true/false).")
    var scaleLexical: Bool?

    func config() throws -> MemoryConfig {
        var c = try MemoryConfig.load(home: ModelStore.home())
        if let halfLife {
            guard let d = MemoryConfig.duration(halfLife), d > 0 else { throw ValidationError("--half-life: cannot read \"\(halfLife)\"") }
            c.halfLife = d
        }
        if let searchDecay { c.searchDecay = searchDecay }
        if let beta { c.beta = beta }
        if let tau { c.tau = tau }
        if let nearWeight { c.nearWeight = nearWeight }
        if let nearTau { c.nearTau = nearTau }
        if let gateWidth {
            guard gateWidth > 0 else { throw ValidationError("--gate-width must be above 0") }
            c.gateWidth = gateWidth
        }
        if let scaleLexical { c.scaleLexical = scaleLexical }
        if let marginWeight { c.marginWeight = marginWeight }
        if let guardMode {
            guard let g = MemoryConfig.GuardMode(rawValue: guardMode) else { throw ValidationError("--guard-mode: query, results, either or margin") }
            c.guardMode = g
        }
        return c
    }
}
