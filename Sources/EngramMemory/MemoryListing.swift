import EngramStore
import Foundation

/// One entry as `engram memory show` lists it.
public struct ShownEntry: Encodable, Sendable {
    public let id: Int64
    public let kind: String
    public let text: String
    public let path: String?
    public let at: String
    public let age_seconds: Double
    public let searches_since: Int
    /// After decay, before any query's topic guard.
    public let weight: Double
    /// With --query: after the guard too.
    public let effective_weight: Double?
    public let why: String
}

/// `engram memory show` on either store: a profile's entries, newest first, with their weights and why
/// each is (or is not) in effect; `--json` prints this value, the terminal its `lines`.
public struct ShownMemory: Encodable, Sendable {
    public let profile: String
    public let searches: Int
    public let half_life_seconds: Double
    public let query: String?
    public let entries: [ShownEntry]
    let floor: Double

    enum CodingKeys: String, CodingKey { case profile, searches, half_life_seconds, query, entries }

    /// `judged`: every entry weighed against `query` (the guard included), when a query was given.
    public init(profile: String, entries: [MemoryStore.Entry], searches: Int, query: String?, judged: [WeightedEntry],
                now: Double, config: MemoryConfig) {
        let judged = Dictionary(judged.map { ($0.entry.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.profile = profile
        self.searches = searches
        half_life_seconds = config.halfLife
        self.query = query
        floor = config.floor
        self.entries = entries.reversed().map { e in
            let decay = MemoryModel.decay(entry: e, now: now, searches: searches, config: config)
            let since = max(0, searches - e.sequence - 1)
            let why: String
            if let w = judged[e.id] {
                why = w.why(config)
            } else if decay < config.floor {
                why = MemoryModel.fadedReason(ageSeconds: now - e.at, searchesSince: since,
                                              left: MemoryModel.fade(entry: e, now: now, searches: searches, config: config), config: config)
            } else {
                why = "can take part: the topic guard judges it against each query (--query QUERY shows how)"
            }
            return ShownEntry(id: e.id, kind: e.kind, text: e.text, path: e.path, at: Date(timeIntervalSince1970: e.at).formatted(.iso8601),
                              age_seconds: now - e.at, searches_since: since, weight: decay,
                              effective_weight: judged[e.id]?.weight, why: why)
        }
    }

    /// The listing as the terminal shows it (texts escaped with `TextStyle.safe`).
    public var lines: [String] {
        var out = ["profile \(TextStyle.safe(profile)): \(entries.count) \(entries.count == 1 ? "entry" : "entries"), "
                   + "\(searches) \(searches == 1 ? "search" : "searches"), half-life \(MemoryModel.span(half_life_seconds))"
                   + (query.map { ", judged against \"\(TextStyle.safe($0))\"; first column: w, what counts for that query" }
                      ?? "; first column: what age and later searches leave of each entry")]
        let pad = { (s: String, n: Int) in String(repeating: " ", count: max(0, n - s.count)) }
        for r in entries {
            let shown = query == nil || r.weight < floor ? ": \(r.why)" : "\n         \(r.why)"
            let age = MemoryModel.age(r.age_seconds)
            out.append(String(format: "  %5.3f  ", r.effective_weight ?? r.weight) + r.kind + pad(r.kind, 5)
                       + "  " + pad(age, 6) + age + " ago  "
                       + TextStyle.safe(MemoryModel.label(kind: r.kind, text: r.text, path: r.path, width: 70))
                       + (query == nil && r.weight >= floor ? "" : shown))
        }
        if query == nil, entries.contains(where: { $0.weight >= floor }) {
            out.append("Whether an entry counts for a search depends on its topic: "
                       + "--query QUERY shows, for that query, why each is or is not in effect.")
        }
        return out
    }
}

extension MemoryModel {
    /// A duration exactly, in its largest whole unit: "1 d", "90 min", "45 s" (a setting, not an age).
    public static func span(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        for (unit, size) in [("d", 86_400), ("h", 3600), ("min", 60)] where s >= size && s % size == 0 {
            return "\(s / size) \(unit)"
        }
        return "\(s) s"
    }

    /// How listings name an entry: a search by its query in quotes, an open by its file's name and the
    /// passage's first words, whitespace collapsed (a passage's line breaks would otherwise show as "\n"),
    /// the text cut to `width` characters with an ellipsis.
    public static func label(kind: String, text: String, path: String?, width: Int) -> String {
        let width = max(2, width)
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        var cut = words
        if words.count > width {
            var head = String(words.prefix(width - 1))
            // Cut at a word's end when one is near, so the label does not stop mid-word.
            if let space = head.lastIndex(of: " "), head.distance(from: space, to: head.endIndex) < 16 {
                head = String(head[..<space])
            }
            cut = head.trimmingCharacters(in: .whitespaces) + "…"
        }
        guard kind == "open" else { return "\"\(cut)\"" }
        let file = path.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "a result"
        return "opened \(file): \"\(cut)\""
    }
}

/// `engram memory export` on either store: every entry of a profile with its vector.
public struct ExportedMemory: Encodable, Sendable {
    public struct Entry: Encodable, Sendable {
        public let id: Int64
        public let kind: String
        public let text: String
        public let path: String?
        public let at: Double
        public let sequence: Int
        public let vector: [Float]
    }
    public let profile: String
    public let searches: Int
    public let entries: [Entry]

    public init(_ session: MemorySession) throws {
        let (entries, searches, _) = try session.state()
        profile = session.profile
        self.searches = searches
        self.entries = entries.map {
            Entry(id: $0.id, kind: $0.kind, text: $0.text, path: $0.path, at: $0.at, sequence: $0.sequence, vector: $0.vector)
        }
    }
}

