import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramEval
import Foundation

struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure retrieval quality on test collections.",
        subcommands: [Beir.self, Sessions.self]
    )

    struct Beir: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "nDCG@10, Recall@100 and MRR@10 on a BEIR-format folder.",
            discussion: """
                DIR holds corpus.jsonl, queries.jsonl and qrels/test.tsv. The corpus is indexed once into a cached \
                index ($ENGRAM_HOME/cache/beir-NAME.sqlite, or --index) and kept up to date; every judged query is \
                then searched. nDCG uses graded gains as trec_eval does.
                Example: engram eval beir ../shared/datasets/scifact --mode hybrid --json
                """
        )

        @Argument(help: "A BEIR-format folder.")
        var dir: String

        @Option(help: "hybrid, semantic or lexical.")
        var mode: SearchMode = .hybrid

        @Flag(help: "Evaluate all three modes (one JSON object per line with --json).")
        var allModes = false

        @OptionGroup(title: "Ranking tuning") var tuning: RankingOptions

        @Option(help: "Cache index file (default: $ENGRAM_HOME/cache/beir-NAME.sqlite).")
        var index: String?

        @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
        var model: String?

        @Flag(help: "Search the vector graph at any size (default: only from 50,000 chunks) and report its recall@10 against the exact scan.")
        var ann = false

        @Flag(help: "Print JSON: {\"dataset\", \"mode\", \"queries\", \"ndcg@10\", \"recall@100\", \"mrr@10\"} (and \"ann_recall@10\" with --ann).")
        var json = false

        func run() async throws {
            let collection = try BeirCollection(folder: URL(fileURLWithPath: dir))
            let encoder = try SentenceEncoder(folder: ModelStore.resolve(model))
            let evaluator = BeirEvaluator(collection: collection, encoder: encoder)
            let path = index ?? BeirEvaluator.cachePath(for: collection)
            let progress = Progress(enabled: !json, label: "indexing \(collection.name)")
            let store = try evaluator.prepareIndex(at: path) { done, total in progress.update(done: done, total: total) }
            progress.finish()
            let searcher = try Searcher(store: store, encoder: encoder)
            for m in allModes ? SearchMode.allCases : [mode] {
                var options = tuning.options
                options.mode = m
                if ann { options.vectorSearch = .approximate }
                let result = try evaluator.evaluate(searcher: searcher, options: options)
                if json {
                    try printJSONLine(result)
                } else {
                    print(String(format: "%@  %-8@  %d queries  nDCG@10 %.4f  Recall@100 %.4f  MRR@10 %.4f",
                                 result.dataset, result.mode, result.queries, result.ndcg10, result.recall100, result.mrr10)
                          + (result.annRecall10.map { String(format: "  graph recall@10 %.4f", $0) } ?? ""))
                }
            }
        }
    }
}

