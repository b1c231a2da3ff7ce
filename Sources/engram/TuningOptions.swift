import ArgumentParser
import EngramEngine
import EngramMemory
import Foundation

/// Ranking knobs (defaults are the measured best): visible on `eval`, hidden on `search`.
struct RankingOptions: ParsableArguments {
    @Option(help: "Lexical scoring: bm25 (Engram's, tunable) or fts5 (SQLite's built-in bm25()).")
    var lexical: LexicalScorer = .bm25

    @Option(help: "Hybrid fusion: minmax (normalised score blend) or rrf (reciprocal rank fusion).")
    var fusion: Fusion = .minmax

    @Option(help: "Weight of the semantic side in minmax fusion (0…1).")
    var alpha: Double = SearchOptions().alpha

    @Option(help: "BM25 k1 (0…10).")
    var k1: Double = SearchOptions().k1

    @Option(help: "BM25 b (0…1).")
    var b: Double = SearchOptions().b

    func validate() throws {
        try Validate.finite(alpha, "--alpha", in: 0...1)
        try Validate.finite(k1, "--k1", in: 0...10)
        try Validate.finite(b, "--b", in: 0...1)
    }

    var options: SearchOptions {
        var o = SearchOptions()
        o.lexical = lexical
        o.fusion = fusion
        o.alpha = alpha
        o.k1 = k1
        o.b = b
        return o
    }
}

/// Memory's tuning knobs (defaults are chosen leave one collection out, docs/research.md): visible on `eval sessions`,
/// hidden on `search`.
struct MemoryTuning: ParsableArguments {
    @Option(help: "Weight factor per later search (0…1).")
    var searchDecay: Double?

    @Option(help: "Memory strength β (0…100).")
    var beta: Double?

    @Option(help: "Topic guard threshold τ: an entry counts once its cosine to the query, less μ × the query's reference chunk cosine, is past τ (-2…2).")
    var tau: Double?

    @Option(help: "Guard margin μ: the guard judges the cosine to the query minus μ × the query's reference chunk cosine (0…2).")
    var margin: Double?

    @Option(help: "Guard reference: the query's N-th best chunk, whose cosine the margin subtracts; given alone, it replaces both shares (1…200).")
    var referenceRank: Int?

    @Option(help: "Guard reference as a share of the index's chunks (default 0.001: the query's best chunk in a thousand; 0: use --reference-rank) (0…0.1).")
    var referenceShare: Double?

    @Option(help: "The same for an opened result (default 0: use --reference-rank, the best chunk) (0…0.1).")
    var openReferenceShare: Double?

    @Option(help: "Guard threshold for an opened result (-2…2).")
    var openTau: Double?

    @Option(help: "Guard margin μ for an opened result (0…2).")
    var openMargin: Double?

    @Option(help: "Width of the guard's logistic step (0.001…1).")
    var gateWidth: Double?

    @Option(help: "Weight of an opened result relative to a search (0…100).")
    var openWeight: Double?

    @Option(help: "Re-finding δ: an opened result on topic rises by δ × its weight × the best score (0…10).")
    var refind: Double?

    @Option(help: "Re-finding guard threshold: an opened result is lifted once its own guard score, or its search's, is past it (-2…2).")
    var refindTau: Double?

    @Option(help: "Width of the re-finding guard's logistic step (0.001…1).")
    var refindWidth: Double?

    @Option(help: "An opened result counts in the expansion at least this × its re-finding guard's verdict (0…1).")
    var openInherit: Double?

    @Option(help: "How many of the query's own best results stay first when memory expands the query (0…10).")
    var keepFirst: Int?

    @Option(help: "Keep them whatever the lead while no entry in effect passes the guard at this level (1: always) (0…1).")
    var keepBelow: Double?

    @Option(help: "Past --keep-below, keep them if the best leads the query's runner-up by this share of its score (1: never) (0…1).")
    var keepLead: Double?

    @Option(help: "The lead counts only while no entry in effect passes the guard at this level (1: however sure memory is) (0…1).")
    var keepLeadBelow: Double?

    func validate() throws {
        try Validate.finite(searchDecay, "--search-decay", in: 0...1)
        try Validate.finite(beta, "--beta", in: 0...100)
        try Validate.finite(tau, "--tau", in: -2...2)
        try Validate.finite(openWeight, "--open-weight", in: 0...100)
        try Validate.finite(margin, "--margin", in: 0...2)
        try Validate.finite(referenceRank.map(Double.init), "--reference-rank", in: 1...Double(QueryStatistics.depth))
        try Validate.finite(referenceShare, "--reference-share", in: 0...0.1)
        try Validate.finite(openReferenceShare, "--open-reference-share", in: 0...0.1)
        try Validate.finite(openTau, "--open-tau", in: -2...2)
        try Validate.finite(openMargin, "--open-margin", in: 0...2)
        try Validate.finite(gateWidth, "--gate-width", in: 0.001...1)
        try Validate.finite(refind, "--refind", in: 0...10)
        try Validate.finite(refindTau, "--refind-tau", in: -2...2)
        try Validate.finite(refindWidth, "--refind-width", in: 0.001...1)
        try Validate.finite(openInherit, "--open-inherit", in: 0...1)
        try Validate.finite(keepFirst.map(Double.init), "--keep-first", in: 0...10)
        try Validate.finite(keepBelow, "--keep-below", in: 0...1)
        try Validate.finite(keepLead, "--keep-lead", in: 0...1)
        try Validate.finite(keepLeadBelow, "--keep-lead-below", in: 0...1)
    }

    /// Flags over `config` (which holds the defaults, the config file and the environment).
    func apply(to config: inout MemoryConfig, halfLife: String?) throws {
        if let halfLife {
            guard let d = MemoryConfig.duration(halfLife) else { throw Usage.error("--half-life: cannot read \"\(halfLife)\"") }
            config.halfLife = d
        }
        if let searchDecay { config.searchDecay = searchDecay }
        if let beta { config.beta = beta }
        if let tau { config.tau = tau }
        if let margin { config.margin = margin }
        // A rank given alone means that rank, not a share of the index.
        if let referenceRank { (config.referenceRank, config.referenceShare, config.openReferenceShare) = (referenceRank, 0, 0) }
        if let referenceShare { config.referenceShare = referenceShare }
        if let openReferenceShare { config.openReferenceShare = openReferenceShare }
        if let openTau { config.openTau = openTau }
        if let openMargin { config.openMargin = openMargin }
        if let gateWidth { config.gateWidth = gateWidth }
        if let openWeight { config.openWeight = openWeight }
        if let refind { config.refind = refind }
        if let refindTau { config.refindTau = refindTau }
        if let refindWidth { config.refindWidth = refindWidth }
        if let openInherit { config.openInherit = openInherit }
        if let keepFirst { config.keepFirst = keepFirst }
        if let keepBelow { config.keepBelow = keepBelow }
        if let keepLead { config.keepLead = keepLead }
        if let keepLeadBelow { config.keepLeadBelow = keepLeadBelow }
    }
}

extension SearchMode: ExpressibleByArgument {}
extension LexicalScorer: ExpressibleByArgument {}
extension Fusion: ExpressibleByArgument {}
