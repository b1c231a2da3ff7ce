import EngramEmbedding
import EngramEngine
import EngramEval
import Foundation
import Testing

/// Retrieval quality on a small real collection, against figures recorded from a real run
/// (`engram eval beir ../shared/datasets/medline --all-modes`, README quality table).
@Suite(.serialized) struct EvalTests {
    /// Runs are deterministic on one machine; the tolerance covers BLAS kernel and thread-split differences elsewhere.
    static let tolerance = 0.003

    // Skipped, with the reason in the test log, when ../shared/datasets/medline is not beside the clone.
    @Test(.enabled(if: EngineSupport.hasMedline, "needs ../shared/datasets/medline"))
    func medlineMatchesTheRecordedRun() throws {
        let collection = try BeirCollection(folder: EngineSupport.medline)
        #expect(collection.documents.count == 1033 && collection.queries.count == 30)
        let evaluator = BeirEvaluator(collection: collection, encoder: try EngineSupport.encoder.get())
        let store = try evaluator.prepareIndex(at: EngineSupport.temporaryFolder().appendingPathComponent("medline.sqlite").path)
        let searcher = try Searcher(store: store, encoder: evaluator.encoder)
        let recorded: [SearchMode: Double] = [.hybrid: 0.7916, .semantic: 0.7889, .lexical: 0.6821]
        for (mode, ndcg) in recorded {
            var options = SearchOptions()
            options.mode = mode
            let result = try evaluator.evaluate(searcher: searcher, options: options)
            #expect(result.queries == 30)
            #expect(abs(result.ndcg10 - ndcg) <= Self.tolerance, "\(mode): nDCG@10 \(result.ndcg10), recorded \(ndcg)")
        }
        // A second preparation finds every document unchanged and embeds nothing.
        let again = try evaluator.prepareIndex(at: store.path)
        #expect(try again.stats().documents == 1033)
    }
}
