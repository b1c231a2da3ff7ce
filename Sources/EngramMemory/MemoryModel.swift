import EngramStore
import Foundation

/// An entry's weight at a given moment, and why.
public struct WeightedEntry: Sendable {
    public let entry: MemoryStore.Entry
    /// Base weight × time decay × search decay.
    public let decay: Double
    /// Cosine of the entry with the current query.
    public let similarity: Double
    /// What the topic guard judges: the cosine against the query's reference chunk (``MemoryModel/guardScore``).
    public let score: Double
    /// The threshold the score was judged against.
    public let threshold: Double
    /// The query's reference chunk cosine the score was calibrated with (nil: none was known).
    public let reference: Double?
    /// The reference chunk's rank among the query's best chunks (1: the best).
    public var referenceRank = 1
    /// The guard's verdict in [0, 1] (for an open, at least `openInherit` × its re-finding verdict).
    public var gate: Double
    /// Opens only: the gate is the one its search vouches for (`openInherit` × the re-finding verdict),
    /// not its passage's own.
    public var inherited = false
    /// decay × gate: what the entry contributes.
    public var weight: Double { decay * gate }
    /// Opens only: the re-finding guard's verdict in [0, 1] (``MemoryModel/refindGate``), 0 for searches.
    public var refindGate: Double = 0
    /// decay × re-finding gate: how far the opened document itself rises.
    public var refindWeight: Double { decay * refindGate }
    /// Whether the entry takes part in a search: it expands the query, or lifts its opened document.
    public func takesPart(floor: Double) -> Bool { weight >= floor || refindWeight >= floor }
    public var ageSeconds: Double
    public var searchesSince: Int
}

/// The arithmetic of memory: decay with time and with later searches, and the topic guard.
public enum MemoryModel {
    /// 2^(−age / halfLife) · searchDecay^(searches since): how much of an entry time and later searches leave.
    public static func fade(entry: MemoryStore.Entry, now: Double, searches: Int, config: MemoryConfig) -> Double {
        fade(ageSeconds: now - entry.at, searchesSince: max(0, searches - entry.sequence - 1), config: config)
    }

    /// The same, from an entry's age and the searches made since.
    public static func fade(ageSeconds: Double, searchesSince: Int, config: MemoryConfig) -> Double {
        pow(2, -max(0, ageSeconds) / config.halfLife) * pow(config.searchDecay, Double(searchesSince))
    }

    /// weight = base · fade, or 0 once the fade is under the floor: an entry is forgotten at the same age,
    /// and after the same number of searches, whatever its kind.
    public static func decay(entry: MemoryStore.Entry, now: Double, searches: Int, config: MemoryConfig) -> Double {
        let f = fade(entry: entry, now: now, searches: searches, config: config)
        guard f >= config.floor else { return 0 }
        return (entry.kind == "open" ? config.openWeight : 1) * f
    }

    /// A logistic step at `tau`: near 0 below it, near 1 well above it.
    public static func gate(similarity: Double, config: MemoryConfig) -> Double {
        gate(score: similarity, threshold: config.tau, config: config)
    }

    public static func gate(score: Double, threshold: Double, config: MemoryConfig) -> Double {
        1 / (1 + exp(-(score - threshold) / config.gateWidth))
    }

    /// What the guard judges for an entry of `kind` at cosine `similarity` to the query: the cosine minus
    /// μ × the query's reference chunk cosine (`statistics`: its best in a thousand for a searched query, its
    /// best for an opened passage, under the defaults), and the threshold it must pass. Without
    /// statistics the score is the cosine itself.
    public static func guardScore(similarity: Double, kind: String, statistics: QueryStatistics?, config: MemoryConfig)
        -> (score: Double, threshold: Double)
    {
        let open = kind == "open"
        let mu = open ? config.openMargin : config.margin
        let reference = statistics?.reference(config, open: open) ?? 0
        return (similarity - mu * reference, open ? config.openTau : config.tau)
    }

    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot: Float = 0, na: Float = 0, nb: Float = 0
        for i in 0..<min(a.count, b.count) {
            dot += a[i] * b[i]
            na += a[i] * a[i]
            nb += b[i] * b[i]
        }
        return na > 0 && nb > 0 ? Double(dot / (na.squareRoot() * nb.squareRoot())) : 0
    }

    /// The re-finding guard for an opened result: the better of its own guard score and that of the search
    /// it was opened from (`search`, nil once that search has left memory), past `refindTau`. What the user
    /// searched says more about the topic than the passage they opened (AUC 0.80–0.95 against 0.68–0.89
    /// for drilldown against collide, docs/research.md), and a wrongly lifted document costs the ranking one
    /// place where a wrongly admitted expansion costs it its topic, so this guard can be looser.
    public static func refindGate(open: Double, search: Double?, config: MemoryConfig) -> Double {
        1 / (1 + exp(-(max(open, search ?? -.infinity) - config.refindTau) / config.refindWidth))
    }

    /// Decay × guard for every entry, against the query's embedding `q` and what the index shows for it.
    public static func weigh(_ entries: [MemoryStore.Entry], query q: [Float], statistics: QueryStatistics? = nil,
                             now: Double, searches: Int, config: MemoryConfig) -> [WeightedEntry] {
        let weighed = entries.map { e in
            let similarity = cosine(q, e.vector)
            let (score, threshold) = guardScore(similarity: similarity, kind: e.kind, statistics: statistics, config: config)
            let open = e.kind == "open"
            return WeightedEntry(
                entry: e, decay: decay(entry: e, now: now, searches: searches, config: config), similarity: similarity,
                score: score, threshold: threshold, reference: statistics.map { $0.reference(config, open: open) },
                referenceRank: statistics?.referenceRank(config, open: open) ?? 1,
                gate: gate(score: score, threshold: threshold, config: config), ageSeconds: now - e.at,
                searchesSince: max(0, searches - e.sequence - 1))
        }
        guard config.refind > 0 || config.openInherit > 0 else { return weighed }
        // An open's search is the search entry recorded with the same sequence number.
        var searchScore: [Int: Double] = [:]
        for w in weighed where w.entry.kind == "query" { searchScore[w.entry.sequence] = w.score }
        return weighed.map { w in
            guard w.entry.kind == "open" else { return w }
            var w = w
            let verdict = refindGate(open: w.score, search: searchScore[w.entry.sequence], config: config)
            if config.openInherit * verdict > w.gate {
                w.gate = config.openInherit * verdict
                w.inherited = true
            }
            // With δ 0 nothing is lifted, and nothing says it is.
            w.refindGate = config.refind > 0 ? verdict : 0
            return w
        }
    }

    /// Entries to evict so that at most `capacity` remain: the lightest (by decay), oldest first on ties.
    public static func evictions(_ entries: [MemoryStore.Entry], now: Double, searches: Int, config: MemoryConfig) -> [Int64] {
        guard entries.count > config.capacity else { return [] }
        let ranked = entries.sorted {
            let a = decay(entry: $0, now: now, searches: searches, config: config)
            let b = decay(entry: $1, now: now, searches: searches, config: config)
            return a != b ? a < b : $0.at < $1.at
        }
        return ranked.prefix(entries.count - config.capacity).map(\.id)
    }
}

extension WeightedEntry {
    /// The cosine the guard asks of this entry for this query: the threshold plus the part of the query's
    /// reference chunk cosine it subtracts.
    public func requiredCosine(_ config: MemoryConfig) -> Double { threshold + (similarity - score) }

    /// Why the entry is, or is not, in effect for this query, in words: faded (by age, by later searches,
    /// or both), or on or off topic by how much against the cosine at which the guard lets half of it
    /// through (its step is a logistic, so an entry a little short of it still counts a little).
    public func why(_ config: MemoryConfig) -> String {
        let age = MemoryModel.age(ageSeconds)
        let since = searchesSince == 1 ? "1 search since" : "\(searchesSince) searches since"
        if decay < config.floor {
            return MemoryModel.fadedReason(ageSeconds: ageSeconds, searchesSince: searchesSince,
                                           left: MemoryModel.fade(ageSeconds: ageSeconds, searchesSince: searchesSince, config: config), config: config)
        }
        // Distances are taken between the rounded figures, so the words add up ("0.08 short of 0.37" at 0.29).
        let (sim, needed) = (Self.hundredths(similarity), Self.hundredths(requiredCosine(config)))
        let short = String(format: "%.2f short of the %.2f at which it would count half", max(0, needed - sim), needed)
        let past = String(format: "%.2f past the %.2f at which it counts half", max(0, sim - needed), needed)
        let against = reference.map { asks(reference: $0, needed: needed) } ?? ""
        let refound = refindWeight >= config.floor
        // "lift" is what --explain's result line shows for the opened document; "w" what it shows for the others.
        let lifted = refound ? String(format: "; the opened document, wherever this search can return it, rises to be found again (lift %.2f, at %.0f %%: this passage or the search it was opened from is near this query)", refindWeight, refindGate * 100) : ""
        let counted = String(format: "counted at %.0f %% of the %.2f age and later searches leave it, w %.2f", gate * 100, decay, weight)
        if weight >= config.floor {
            if inherited {
                return String(format: "in effect through the search it was opened from: %@; "
                              + "the passage itself: cosine %.2f to this query, %@%@; %@ old, %@%@",
                              counted, sim, short, against, age, since, lifted)
            }
            if gate < 0.5 {
                return String(format: "in effect: near the topic (cosine %.2f to this query, %@%@), %@, %@ old, %@%@",
                              sim, short, against, counted, age, since, lifted)
            }
            return String(format: "in effect: on topic (cosine %.2f to this query, %@%@), %@, %@ old, %@%@",
                          sim, past, against, counted, age, since, lifted)
        }
        if refound {
            return String(format: "in effect as an open only: the opened document, wherever this search can return it, rises to be found again "
                          + "(lift %.2f, at %.0f %%: this passage or the search it was opened from is near this query); the passage itself is off topic (cosine %.2f, %@%@), %@ old, %@",
                          refindWeight, refindGate * 100, sim, short, against, age, since)
        }
        // Too light to count: say whether the guard or the fading left it under the floor.
        let light = String(format: "w %.3f, under the %g that counts", weight, config.floor)
        if gate >= 0.5 {
            return String(format: "faded for this search: on topic (cosine %.2f to this query, %@%@), but %@ (%@ old, %@)",
                          sim, past, against, light, age, since)
        }
        return String(format: "off topic: cosine %.2f to this query, %@%@; %@", sim, short, against, light)
    }

    /// What the guard asks, from the index: "the index's 2nd best passage for this query (0.53) plus 0.10"
    /// (an open's reference is scaled, "0.75 × …"). The added part is shown as the rounded threshold less
    /// the rounded reference, so the figures add up as printed.
    func asks(reference: Double, needed: Double) -> String {
        let passage = referenceRank == 1 ? "the index's best passage" : "the index's \(MemoryModel.ordinal(referenceRank)) best passage"
        let margin = abs(reference) > 1e-9 ? (similarity - score) / reference : 1
        let scaled = Self.hundredths(margin * reference)
        let times = abs(margin - 1) < 0.005 ? "" : String(format: "%g × ", (margin * 100).rounded() / 100)
        return String(format: "; the guard asks for %@%@ for this query (%.2f) plus %.2f", times, passage, Self.hundredths(reference),
                      Self.hundredths(needed - scaled))
    }

    /// `x` to two decimals, with no "-0.00".
    static func hundredths(_ x: Double) -> Double {
        let r = (x * 100).rounded() / 100
        return r == 0 ? 0 : r
    }
}

extension MemoryModel {
    /// Why an entry no longer counts for any search: "faded: 19 d old and 0 searches since leave 0.04 % of
    /// it, under the 1 % that counts (too old)". `left` is the fade (``fade(entry:now:searches:config:)``).
    public static func fadedReason(ageSeconds: Double, searchesSince: Int, left: Double, config: MemoryConfig) -> String {
        let since = searchesSince == 1 ? "1 search since" : "\(searchesSince) searches since"
        let share = left * 100 < 0.01 ? "less than 0.01" : String(format: "%.2g", left * 100)
        return "faded: \(age(ageSeconds)) old and \(since) leave \(share) % of it, "
            + "under the \(String(format: "%g", config.floor * 100)) % that counts (\(fadeCause(ageSeconds: ageSeconds, searchesSince: searchesSince, config: config)))"
    }

    /// Which decay took an entry's weight under the floor: its age, the searches made since, or both.
    public static func fadeCause(ageSeconds: Double, searchesSince: Int, config: MemoryConfig) -> String {
        let byAge = -max(0, ageSeconds) / config.halfLife * log(2)
        let bySearches = Double(searchesSince) * log(max(config.searchDecay, 1e-12))
        let floor = log(config.floor)
        if byAge <= floor && bySearches <= floor { return "too old, and too many searches since" }
        if byAge <= floor { return "too old" }
        if bySearches <= floor { return "too many searches since" }
        return byAge < bySearches ? "mostly too old" : "mostly too many searches since"
    }

    /// "2nd", "10th", "21st".
    public static func ordinal(_ n: Int) -> String {
        let tail = n % 100 >= 11 && n % 100 <= 13 ? "th" : [1: "st", 2: "nd", 3: "rd"][n % 10] ?? "th"
        return "\(n)\(tail)"
    }

    /// "45 s", "12 min", "3 h", "2 d".
    public static func age(_ seconds: Double) -> String {
        let s = max(0, seconds)
        if s < 90 { return "\(Int(s)) s" }
        if s < 5400 { return "\(Int(s / 60)) min" }
        if s < 172_800 { return "\(Int(s / 3600)) h" }
        return "\(Int(s / 86_400)) d"
    }
}
