import Foundation

/// Parameters of the short-term memory. Defaults are chosen leave one collection out (docs/research.md).
///
/// A user sets how long memory lasts; the rest are tuning, set on `engram eval sessions`.
/// Sources, later ones winning: the defaults; `$ENGRAM_HOME/config.json`
/// (`{"memory": {"half_life": "1d", "search_decay": 0.7, "capacity": 32}}`); the environment variable
/// `ENGRAM_MEMORY_HALF_LIFE`; then command-line flags.
public struct MemoryConfig: Sendable, Equatable {
    /// Time for an entry's weight to halve, in seconds.
    public var halfLife: Double = 86_400
    /// Factor applied to an entry's weight for every search made after it.
    public var searchDecay = 0.7
    /// Most entries kept per profile; the lightest go first.
    public var capacity = 32
    /// Entries whose effective weight falls below this are ignored.
    public var floor = 0.01
    /// β: strength of memory on both sides (query-vector expansion and lexical scores).
    public var beta = 4.0
    /// Topic guard: an entry counts in full when its guard score (``MemoryModel/guardScore``) is well above
    /// `tau`. The score is the entry's cosine to the query minus `margin` × the cosine of the query's
    /// reference chunk: its best chunk in a thousand (`referenceShare`). How close the entry comes to the
    /// query, against how close the index comes; a share rather than a fixed rank, because the best of n
    /// cosines rises with n, and against the best chunk a small index let through what a large one kept out.
    public var tau = 0.10
    /// μ: how much of the query's reference chunk cosine the guard subtracts (0: an absolute cosine threshold).
    public var margin = 1.0
    /// The reference chunk by rank: the query's `referenceRank`-th best chunk in the index (1: the best),
    /// read when the share is 0.
    public var referenceRank = 1
    /// The reference chunk as a share of the index's chunks (0.001: the query's best in a thousand; 0: use
    /// `referenceRank`). ``QueryStatistics/referenceRank(_:open:)``.
    public var referenceShare = 0.001
    /// The same for an opened passage (0: `referenceRank`). An opened passage is a chunk of the index, so
    /// it is judged against the query's best chunk itself.
    public var openReferenceShare = 0.0
    /// The guard for an opened result, on the same scale: its cosine to the query minus `openMargin` × the
    /// query's best chunk cosine, past `openTau`. An opened passage is a chunk of the index, so at
    /// `openMargin` 1 the score is how far it falls short of the query's best chunk.
    public var openTau = 0.20
    public var openMargin = 0.75
    /// Weight of an opened result relative to a searched query (a click says more than a query).
    public var openWeight = 1.5

    /// δ: an opened document that the re-finding guard lets through rises by δ × its entry's weight × the
    /// best fused score (``Searcher/refind``): what the user opened is what they are most likely to look for again.
    public var refind = 0.6
    /// The re-finding guard's threshold, on the guard's scale (``MemoryModel/refindGate``): below the
    /// expansion's τ, since a wrongly lifted document costs one place, not the topic.
    public var refindTau = 0.14
    /// Width of the re-finding guard's step: sharp, so that an open well short of `refindTau` lifts nothing
    /// (on the best-chunk guard, at 0.05, collisions at guard scores 0.03–0.18 lifted their opened documents:
    /// npl collide −2.4 %).
    public var refindWidth = 0.01
    /// ι: an opened passage counts in the expansion at least ι × its re-finding verdict: the search it was
    /// opened from vouches for it, as it does for the lift.
    public var openInherit = 0.5

    /// How many of the query's own best documents (ranked without memory) stay first, in their order, when
    /// memory expands the query (``Searcher/keepFirst(_:expansion:semantic:lexical:options:)``): memory
    /// reorders what follows the query's best match.
    /// A topic wrongly let through then costs one place rather than the page's best result.
    public var keepFirst = 1
    /// The query's best match is kept whatever its lead while memory is unsure: while no entry in effect
    /// passes the guard at `keepBelow` (past it, `keepLead` and `keepLeadBelow` decide). 1: always kept.
    public var keepBelow = 0.5
    /// ... and while memory is fairly sure (no entry in effect passes the guard at `keepLeadBelow`) only if
    /// the match stands out: it leads the query's runner-up by at least this share of its fused score (a
    /// query with a clear answer of its own needs no context). 1: only `keepBelow` decides.
    public var keepLead = 0.1
    /// An entry past this level of the guard is trusted with the first place whatever the lead: "what makes
    /// it rise" right after "what makes bread dough rise" is about bread, however well "rise" alone finds
    /// the tides. 1: the lead counts however sure memory is.
    public var keepLeadBelow = 0.8

    /// Width of the guard's logistic step: 0.04 turns "off topic" into "on topic" over about ±0.08 of score.
    public var gateWidth = 0.04

    public init() {}

    /// Whether the guard reads what the index shows for the query (``QueryStatistics``).
    public var needsStatistics: Bool { margin != 0 || openMargin != 0 }

    /// The keys the config file takes, in the order `--help` and errors list them.
    public static let fileKeys = ["half_life", "search_decay", "capacity"]

    /// Applies the config file and environment over the defaults.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment, home: URL) throws -> MemoryConfig {
        var c = MemoryConfig()
        let file = home.appendingPathComponent("config.json")
        if let data = FileManager.default.contents(atPath: file.path) {
            guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw MemoryError.badConfig(path: file.path, reason: "not a JSON object")
            }
            if let m = root["memory"] as? [String: Any] {
                for (key, value) in m.sorted(by: { $0.key < $1.key }) { try c.set(key, "\(value)", source: file.path) }
            }
        }
        if let v = environment["ENGRAM_MEMORY_HALF_LIFE"], !v.isEmpty { try c.set("half_life", v, source: "ENGRAM_MEMORY_HALF_LIFE") }
        return c
    }

    mutating func set(_ key: String, _ value: String, source: String) throws {
        func number(_ range: ClosedRange<Double>) throws -> Double {
            guard let d = Double(value), d.isFinite, range.contains(d) else {
                throw MemoryError.badConfig(path: source, reason: "\(key): \"\(value)\" is not a number in \(range.lowerBound)…\(range.upperBound)")
            }
            return d
        }
        switch key {
        case "half_life":
            guard let d = Self.duration(value), d > 0 else {
                throw MemoryError.badConfig(path: source, reason: "half_life: cannot read \"\(value)\" (try 1d, 2h, 30m or seconds)")
            }
            halfLife = d
        case "search_decay": searchDecay = try number(0...1)
        case "capacity": capacity = Int(try number(1...10_000))
        default:
            throw MemoryError.badConfig(path: source, reason: "unknown memory setting \(key) (known: \(Self.fileKeys.joined(separator: ", ")))")
        }
    }

    /// "90", "90s", "30m", "2h", "1d", "1w" → seconds; nil for anything else, and for values that are not
    /// finite and positive.
    public static func duration(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        let value: Double?
        if let last = t.last, let unit = units[last] { value = Double(t.dropLast()).map { $0 * unit } } else { value = Double(t) }
        guard let value, value.isFinite, value > 0 else { return nil }
        return value
    }
}

/// Errors of the memory layer.
public enum MemoryError: Error, CustomStringConvertible {
    case badConfig(path: String, reason: String)
    case noLastSearch(profile: String)
    case noSuchResult(rank: Int, count: Int)
    case notInLastSearch(path: String)
    case resultGone(path: String)

    public var description: String {
        switch self {
        case .badConfig(let path, let reason): return "memory config \(path): \(reason)"
        case .noLastSearch(let p): return "profile \(p) has no search to open a result from: run `engram search` first"
        case .noSuchResult(let rank, let count): return "the last search has \(count) results; there is no rank \(rank)"
        case .notInLastSearch(let path): return "\(path) is not among the last search's results"
        case .resultGone(let path): return "\(path) has left the index since the last search: search again"
        }
    }
}
