import EngramEngine
import Foundation

/// What the index shows for one query, for the topic guard to calibrate against: the cosines of the
/// query's best chunks, best first.
///
/// The guard judges an entry against these rather than against an absolute cosine, so that it holds
/// on an index whose cosines all run high (a narrow field) or low (another model, a mixed folder). Only
/// the head of the list is read, so a searcher that sees a shortlist of the best chunks can fill it.
public struct QueryStatistics: Sendable, Equatable {
    /// Cosines of the query's best chunks, best first (a shortlist: at least `QueryStatistics.depth`
    /// when the index has that many chunks).
    public var topCosines: [Double]

    /// How many of the best chunks are kept.
    public static let depth = 200

    public init(topCosines: [Double]) {
        self.topCosines = topCosines.sorted(by: >)
    }

    /// The best chunk's cosine (0 for an empty index).
    public var best: Double { topCosines.first ?? 0 }

    /// The cosine of the chunk at `rank` (1-based), or of the last one known.
    public func cosine(atRank rank: Int) -> Double {
        guard !topCosines.isEmpty else { return 0 }
        return topCosines[min(max(rank, 1), topCosines.count) - 1]
    }

    /// How many of the known chunks are closer to the query than `similarity`, plus one: the rank the
    /// entry would take among the index's chunks. Past the shortlist it is `topCosines.count + 1`.
    public func rank(of similarity: Double) -> Int {
        var lo = 0, hi = topCosines.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if topCosines[mid] > similarity { lo = mid + 1 } else { hi = mid }
        }
        return lo + 1
    }
}
