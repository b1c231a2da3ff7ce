import EngramStore
import Foundation

/// An entry's weight at a given moment, and why.
public struct WeightedEntry: Sendable {
    public let entry: MemoryStore.Entry
    /// Base weight × time decay × search decay.
    public let decay: Double
    /// Cosine of the entry with the current query: what the topic guard judges.
    public let similarity: Double
    /// The guard's verdict in [0, 1].
    public let gate: Double
    /// decay × gate: what the entry contributes.
    public var weight: Double { decay * gate }
    public var ageSeconds: Double
    public var searchesSince: Int
}

/// The arithmetic of memory: decay with time and with later searches, and the topic guard.
public enum MemoryModel {
    /// weight = base · 2^(−age / halfLife) · searchDecay^(searches since).
    public static func decay(entry: MemoryStore.Entry, now: Double, searches: Int, config: MemoryConfig) -> Double {
        let age = max(0, now - entry.at)
        let since = max(0, searches - entry.sequence - 1)
        let base = entry.kind == "open" ? config.openWeight : 1
        return base * pow(2, -age / config.halfLife) * pow(config.searchDecay, Double(since))
    }

    /// A logistic step at `tau`: near 0 below it, near 1 well above it.
    public static func gate(similarity: Double, config: MemoryConfig) -> Double {
        1 / (1 + exp(-(similarity - config.tau) / MemoryConfig.gateWidth))
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

    /// Decay × guard for every entry, against the query's embedding `q`.
    public static func weigh(_ entries: [MemoryStore.Entry], query q: [Float], now: Double, searches: Int, config: MemoryConfig) -> [WeightedEntry] {
        entries.map { e in
            let similarity = cosine(q, e.vector)
            return WeightedEntry(
                entry: e, decay: decay(entry: e, now: now, searches: searches, config: config), similarity: similarity,
                gate: gate(similarity: similarity, config: config), ageSeconds: now - e.at,
                searchesSince: max(0, searches - e.sequence - 1))
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
    /// Why the entry is, or is not, in effect for this query, in words.
    public func why(_ config: MemoryConfig) -> String {
        let age = MemoryModel.age(ageSeconds)
        let since = searchesSince == 1 ? "1 search since" : "\(searchesSince) searches since"
        if weight >= config.floor {
            return String(format: "in effect: on topic (cosine %.2f to this query, the guard opens past %.2f), %@ old, %@",
                          similarity, config.tau, age, since)
        }
        if decay < config.floor {
            return "faded: \(age) old and \(since) left it weight \(String(format: "%.3f", decay)), under \(config.floor)"
        }
        return String(format: "off topic: cosine %.2f to this query, the guard opens past %.2f", similarity, config.tau)
    }
}

extension MemoryModel {
    /// "45 s", "12 min", "3 h", "2 d".
    public static func age(_ seconds: Double) -> String {
        let s = max(0, seconds)
        if s < 90 { return "\(Int(s)) s" }
        if s < 5400 { return "\(Int(s / 60)) min" }
        if s < 172_800 { return "\(Int(s / 3600)) h" }
        return "\(Int(s / 86_400)) d"
    }
}
