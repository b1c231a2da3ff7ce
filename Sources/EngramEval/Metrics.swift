import Foundation

/// Retrieval metrics with trec_eval's definitions.
public enum Metrics {
    /// nDCG@k with linear gains (the grade itself) and log2 discounts; the ideal ranking is the
    /// judged documents by grade.
    public static func ndcg(ranking: [String], judgments: [String: Int], k: Int = 10) -> Double {
        var dcg = 0.0
        for (i, doc) in ranking.prefix(k).enumerated() {
            let gain = Double(judgments[doc] ?? 0)
            if gain > 0 { dcg += gain / log2(Double(i + 2)) }
        }
        let ideal = judgments.values.filter { $0 > 0 }.sorted(by: >).prefix(k)
        var idcg = 0.0
        for (i, g) in ideal.enumerated() { idcg += Double(g) / log2(Double(i + 2)) }
        return idcg > 0 ? dcg / idcg : 0
    }

    /// Fraction of the relevant documents found in the top k.
    public static func recall(ranking: [String], judgments: [String: Int], k: Int = 100) -> Double {
        let relevant = Set(judgments.filter { $0.value > 0 }.keys)
        guard !relevant.isEmpty else { return 0 }
        return Double(ranking.prefix(k).filter(relevant.contains).count) / Double(relevant.count)
    }

    /// Reciprocal rank of the first relevant document within the top k.
    public static func mrr(ranking: [String], judgments: [String: Int], k: Int = 10) -> Double {
        for (i, doc) in ranking.prefix(k).enumerated() where (judgments[doc] ?? 0) > 0 { return 1 / Double(i + 1) }
        return 0
    }
}
