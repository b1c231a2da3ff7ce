import EngramStore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Fusion of the two sides into one score per document.
extension Searcher {
    /// Each document's score in the given mode, as its semantic and lexical parts (they add up to it):
    /// one side alone in semantic or lexical mode, the fused shares in hybrid mode.
    public static func scoreParts(semantic: DocumentScores, lexical: DocumentScores, options: SearchOptions)
        -> [Int64: (semantic: Double, lexical: Double)]
    {
        switch options.mode {
        case .semantic: return semantic.mapValues { ($0.score, 0) }
        case .lexical: return lexical.mapValues { (0, $0.score) }
        case .hybrid: return fusedParts(semantic: semantic, lexical: lexical, options: options)
        }
    }

    /// Fused scores alone.
    public static func fuse(semantic: DocumentScores, lexical: DocumentScores, options: SearchOptions) -> [Int64: Double] {
        scoreParts(semantic: semantic, lexical: lexical, options: options).mapValues { $0.semantic + $0.lexical }
    }

    /// Each side's share of the fused score: α·(min-max normalised cosine) and (1 − α)·(BM25 / max BM25)
    /// for min-max fusion, 1/(60 + rank) per side for RRF (Cormack et al. 2009). A fused score is the sum
    /// of its two parts.
    public static func fusedParts(semantic: DocumentScores, lexical: DocumentScores, options: SearchOptions)
        -> [Int64: (semantic: Double, lexical: Double)]
    {
        switch options.fusion {
        case .minmax:
            let dense = semantic.values.map(\.score)
            let lo = dense.min() ?? 0, hi = dense.max() ?? 1
            let lexMax = lexical.values.map(\.score).max() ?? 0
            var out: [Int64: (semantic: Double, lexical: Double)] = [:]
            out.reserveCapacity(semantic.count)
            for (d, s) in semantic {
                let dn = hi > lo ? (s.score - lo) / (hi - lo) : 0
                let ln = lexMax > 0 ? (lexical[d]?.score ?? 0) / lexMax : 0
                out[d] = (options.alpha * dn, (1 - options.alpha) * ln)
            }
            return out
        case .rrf:
            var out: [Int64: (semantic: Double, lexical: Double)] = [:]
            for (r, entry) in semantic.sorted(by: { $0.value.score > $1.value.score }).prefix(1000).enumerated() {
                out[entry.key, default: (0, 0)].semantic = 1 / (60 + Double(r + 1))
            }
            for (r, entry) in lexical.sorted(by: { $0.value.score > $1.value.score }).prefix(1000).enumerated() {
                out[entry.key, default: (0, 0)].lexical = 1 / (60 + Double(r + 1))
            }
            return out
        }
    }

    /// The `count` best documents of the fused ranking with their scores, best first, ties to the lower id
    /// as in `top`: what `top(fuse(…), count)` gives, computed in one pass for min-max fusion (up to two
    /// documents) without building the fused scores.
    public static func best(_ count: Int, semantic: DocumentScores, lexical: DocumentScores, options: SearchOptions)
        -> [(key: Int64, value: Double)]
    {
        guard options.mode == .hybrid, options.fusion == .minmax, count <= 2 else {
            return top(fuse(semantic: semantic, lexical: lexical, options: options), count)
        }
        var lo = Double.infinity, hi = -Double.infinity, lexMax = 0.0
        for s in semantic.values { (lo, hi) = (min(lo, s.score), max(hi, s.score)) }
        for l in lexical.values { lexMax = max(lexMax, l.score) }
        typealias Scored = (key: Int64, value: Double)
        let before = { (a: Scored, b: Scored) in a.value > b.value || (a.value == b.value && a.key < b.key) }
        var first: Scored?, second: Scored?
        for (d, s) in semantic {
            // The same arithmetic as `fusedParts`, so the same doubles.
            let dn = hi > lo ? (s.score - lo) / (hi - lo) : 0
            let ln = lexMax > 0 ? (lexical[d]?.score ?? 0) / lexMax : 0
            let x = (key: d, value: options.alpha * dn + (1 - options.alpha) * ln)
            if let f = first, !before(x, f) {
                if second.map({ before(x, $0) }) ?? true { second = x }
            } else {
                (first, second) = (x, first)
            }
        }
        return Array([first, second].compactMap { $0 }.prefix(count))
    }

    /// The `limit` best documents, ties broken by id so rankings are reproducible.
    public static func top(_ scores: [Int64: Double], _ limit: Int) -> [(key: Int64, value: Double)] {
        Array(scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit))
    }

    /// The rank each of `documents` has in `scores` (ties broken by id, as `top` does), found by counting
    /// what ranks above it: a few documents need no sort of the whole collection.
    public static func ranks(of documents: [Int64], in scores: [Int64: Double]) -> [Int64: Int] {
        var out: [Int64: Int] = [:]
        for d in documents {
            guard let s = scores[d] else { continue }
            var above = 0
            for (other, t) in scores where t > s || (t == s && other < d) { above += 1 }
            out[d] = above + 1
        }
        return out
    }
}

/// `--path`, `--type` and `--since` filters over document metadata.
struct Filter {
    let glob: String?
    let types: Set<String>
    let since: Double?
    let folder: String?

    init(_ o: SearchOptions) {
        glob = o.pathGlob
        folder = o.folder.map { $0.hasSuffix("/") ? $0 : $0 + "/" }
        types = Set(o.types.map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")) })
        since = o.since?.timeIntervalSince1970
    }

    var active: Bool { glob != nil || !types.isEmpty || since != nil || folder != nil }

    func accepts(_ d: IndexStore.Document) -> Bool {
        if let folder, !d.path.hasPrefix(folder) { return false }
        if let since, d.mtime < since { return false }
        if !types.isEmpty {
            let ext = (d.path as NSString).pathExtension.lowercased()
            if !types.contains(ext) && !types.contains(d.type) { return false }
        }
        if let glob {
            // A glob without a slash matches the file name; with one, the whole path (or its tail).
            let target = glob.contains("/") ? d.path : (d.path as NSString).lastPathComponent
            if fnmatch(glob, target, 0) != 0 && !(glob.contains("/") && fnmatch("*/" + glob, d.path, 0) == 0) { return false }
        }
        return true
    }
}
