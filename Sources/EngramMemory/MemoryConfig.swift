import Foundation

/// Parameters of the short-term memory. Defaults are the measured best (README, "Short-term memory").
///
/// Sources, later ones winning: the defaults; `$ENGRAM_HOME/config.json` (`{"memory": {"half_life": "1d", ...}}`);
/// environment variables `ENGRAM_MEMORY_HALF_LIFE`, `ENGRAM_MEMORY_SEARCH_DECAY`, `ENGRAM_MEMORY_CAPACITY`,
/// `ENGRAM_MEMORY_BETA`, `ENGRAM_MEMORY_TAU`; then command-line flags.
public struct MemoryConfig: Sendable, Equatable {
    /// Time for an entry's weight to halve, in seconds.
    public var halfLife: Double = 86_400
    /// Factor applied to an entry's weight for every search made after it.
    public var searchDecay: Double = 0.7
    /// Most entries kept per profile; the lightest go first.
    public var capacity = 32
    /// Entries whose effective weight falls below this are ignored.
    public var floor = 0.01
    /// Strength of memory on both sides (query-vector expansion and lexical scores).
    public var beta = 6.0
    /// Topic guard: an entry counts in full when its similarity to the current topic is well above `tau`.
    public var tau = 0.71
    /// Width of the guard's logistic step.
    public var gateWidth = 0.05
    /// Weight kept by entries past `nearTau` but short of `tau` (0: none).
    public var nearWeight = 0.0
    /// The lower step of the guard, for `nearWeight`.
    public var nearTau = 0.4
    /// Weight of an opened result relative to a searched query (a click says more than a query).
    public var openWeight = 1.5
    /// What the guard compares an entry with (see `GuardMode`).
    public var guardMode: GuardMode = .query
    /// In `.margin` mode, how much of the query's best chunk cosine is subtracted from the entry's cosine.
    public var marginWeight = 0.5
    /// Rescale each entry's BM25 scores to the current query's maximum before adding them, so β means
    /// the same for a long remembered query as for a short one.
    public var scaleLexical = true

    public init() {}

    /// What the topic guard compares each memory entry with.
    public enum GuardMode: String, Sendable, CaseIterable {
        /// The current query's embedding.
        case query
        /// The centroid of the current query's own top results (the topic as the collection sees it).
        case results
        /// The larger of the two.
        case either
        /// The entry's cosine to the query minus `marginWeight` × the query's best chunk cosine: the entry
        /// judged against the closest thing the collection holds, which evens out collections' cosine scales.
        case margin
    }

    /// Applies the config file and environment over the defaults.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment, home: URL) throws -> MemoryConfig {
        var c = MemoryConfig()
        let file = home.appendingPathComponent("config.json")
        if let data = FileManager.default.contents(atPath: file.path) {
            guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw MemoryError.badConfig(path: file.path, reason: "not a JSON object")
            }
            if let m = root["memory"] as? [String: Any] {
                for (key, value) in m { try c.set(key, "\(value)", source: file.path) }
            }
        }
        let names = ["ENGRAM_MEMORY_HALF_LIFE": "half_life", "ENGRAM_MEMORY_SEARCH_DECAY": "search_decay",
                     "ENGRAM_MEMORY_CAPACITY": "capacity", "ENGRAM_MEMORY_BETA": "beta", "ENGRAM_MEMORY_TAU": "tau"]
        for (variable, key) in names {
            if let v = environment[variable], !v.isEmpty { try c.set(key, v, source: variable) }
        }
        return c
    }

    mutating func set(_ key: String, _ value: String, source: String) throws {
        func number() throws -> Double {
            guard let d = Double(value) else { throw MemoryError.badConfig(path: source, reason: "\(key): \"\(value)\" is not a number") }
            return d
        }
        switch key {
        case "half_life":
            guard let d = Self.duration(value), d > 0 else {
                throw MemoryError.badConfig(path: source, reason: "half_life: cannot read \"\(value)\" (try 1d, 2h, 30m or seconds)")
            }
            halfLife = d
        case "search_decay": searchDecay = try number()
        case "capacity": capacity = Int(try number())
        case "beta": beta = try number()
        case "tau": tau = try number()
        case "open_weight": openWeight = try number()
        case "margin_weight": marginWeight = try number()
        case "near_weight": nearWeight = try number()
        case "near_tau": nearTau = try number()
        case "gate_width":
            let w = try number()
            guard w > 0 else { throw MemoryError.badConfig(path: source, reason: "gate_width must be above 0") }
            gateWidth = w
        case "guard":
            guard let g = GuardMode(rawValue: value) else {
                throw MemoryError.badConfig(path: source, reason: "guard: \"\(value)\" is not one of \(GuardMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guardMode = g
        case "scale_lexical": scaleLexical = value == "true" || value == "1"
        default: throw MemoryError.badConfig(path: source, reason: "unknown memory setting \(key)")
        }
    }

    /// "90", "90s", "30m", "2h", "1d", "1w" → seconds.
    public static func duration(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        if let last = t.last, let unit = units[last] { return Double(t.dropLast()).map { $0 * unit } }
        return Double(t)
    }
}

/// Errors of the memory layer.
public enum MemoryError: Error, CustomStringConvertible {
    case badConfig(path: String, reason: String)
    case noLastSearch(profile: String)
    case noSuchResult(rank: Int, count: Int)
    case notInLastSearch(path: String)

    public var description: String {
        switch self {
        case .badConfig(let path, let reason): return "memory config \(path): \(reason)"
        case .noLastSearch(let p): return "profile \(p) has no search to open a result from: run `engram search` first"
        case .noSuchResult(let rank, let count): return "the last search has \(count) results; there is no rank \(rank)"
        case .notInLastSearch(let path): return "\(path) is not among the last search's results"
        }
    }
}
