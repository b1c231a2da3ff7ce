import EngramEngine
import EngramMemory
import EngramService
import EngramStore
import Foundation

/// Request parameters shared by `engram serve` and `engram mcp`, checked as `engram search` checks its
/// flags, and the JSON they answer with.
enum ServiceRequests {
    static func query(_ text: String?, n: Int?, mode: String?, path: String?, types: [String], since: String?,
                      profile: String?, explain: Bool, memory: Bool = true) throws -> ServiceQuery {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ServiceError.invalid("the query is empty") }
        var options = SearchOptions()
        options.limit = n ?? 10
        guard (1...1000).contains(options.limit) else { throw ServiceError.invalid("n must be between 1 and 1000 (got \(options.limit))") }
        if let mode {
            guard let m = SearchMode(rawValue: mode) else { throw ServiceError.invalid("mode must be hybrid, semantic or lexical (got \"\(mode)\")") }
            options.mode = m
        }
        if let path {
            guard !path.isEmpty else { throw ServiceError.invalid("path: the glob is empty") }
            options.pathGlob = path
        }
        options.types = types.filter { !$0.isEmpty }
        if let since {
            guard let date = DateParsing.parse(since) else { throw ServiceError.invalid("since: cannot read date \"\(since)\" (use YYYY-MM-DD)") }
            options.since = date
        }
        let profile = profile ?? "default"
        guard !profile.isEmpty else { throw ServiceError.invalid("profile is empty") }
        return ServiceQuery(text, options: options, profile: profile, useMemory: memory, explain: explain && memory)
    }

    /// "12", "12-40" or "12:40" → 12...40.
    static func lines(_ text: String?) throws -> ClosedRange<Int>? {
        guard let text, !text.isEmpty else { return nil }
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == ":" }).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(parts.count), let first = parts.first ?? nil, let last = parts.last ?? nil, first >= 1, last >= first else {
            throw ServiceError.invalid("lines: cannot read \"\(text)\" (use 12 or 12-40)")
        }
        return first...last
    }

    /// `withMemory`: include what memory did, as `engram search --json` does (an agent that did not
    /// ask for it gets the results alone).
    static func output(_ search: ServiceSearch, withMemory: Bool = true) -> SearchOutput {
        SearchOutput(search.response, memory: withMemory ? search.memory : nil, profile: search.profile, config: search.config)
    }

    static func status(_ s: IndexStore.Stats, index: String) -> StatusOutput { StatusOutput(s, index: index) }

    static func json<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .withoutEscapingSlashes, .sortedKeys] : [.withoutEscapingSlashes, .sortedKeys]
        return try encoder.encode(value)
    }
}

/// The answer to an index request: the summary as `engram index --json` prints it, and the warnings.
struct IndexCallOutput: Encodable {
    struct Warning: Encodable {
        let kind: String
        let path: String
        let reason: String
    }
    let report: IndexReport
    let warnings: [Warning]

    init(_ result: ServiceIndexResult, index: String) {
        report = IndexReport(index: index, summary: result.summary)
        warnings = result.warnings.map { Warning(kind: $0.kind.rawValue, path: $0.path, reason: $0.reason) }
    }

    func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        var c = encoder.container(keyedBy: JSONKey.self)
        try c.encode(warnings, forKey: JSONKey("warnings"))
    }
}
