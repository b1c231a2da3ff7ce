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
    /// How many chunks the index holds: the population the shortlist is the head of.
    public var chunkCount: Int

    /// How many of the best chunks are kept.
    public static let depth = 200

    /// `chunkCount` defaults to the shortlist's length, as for an index no larger than it.
    public init(topCosines: [Double], chunkCount: Int? = nil) {
        self.topCosines = topCosines.sorted(by: >)
        self.chunkCount = max(chunkCount ?? topCosines.count, topCosines.count)
    }

    /// The best chunk's cosine (0 for an empty index).
    public var best: Double { topCosines.first ?? 0 }

    /// The cosine of the chunk at `rank` (1-based), or of the last one known.
    public func cosine(atRank rank: Int) -> Double {
        guard !topCosines.isEmpty else { return 0 }
        return topCosines[min(max(rank, 1), topCosines.count) - 1]
    }

    /// The rank of the guard's reference chunk for a searched query (or, with `open`, an opened passage):
    /// `referenceRank`, or, with a share (`referenceShare`, `openReferenceShare`), that share of the index's
    /// chunks. The best of n cosines keeps rising as n grows, so against a fixed rank a small index lets
    /// more through than a large one; a share asks the same of both (up to the shortlist's depth: past
    /// `depth` / share chunks the reference is the shortlist's last, a stricter one).
    public func referenceRank(_ config: MemoryConfig, open: Bool = false) -> Int {
        let share = open ? config.openReferenceShare : config.referenceShare
        guard share > 0 else { return config.referenceRank }
        return min(max(Int((share * Double(chunkCount)).rounded()), 1), Self.depth)
    }

    /// The cosine the guard's margin subtracts (``referenceRank(_:open:)``).
    public func reference(_ config: MemoryConfig, open: Bool = false) -> Double { cosine(atRank: referenceRank(config, open: open)) }

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
