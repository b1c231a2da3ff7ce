import EngramEngine
import EngramStore
import EngramText
import Foundation

/// What `engram serve` and `engram mcp` ask of an index, whichever store holds it: `EngineService` for a
/// SQLite file, `PostgresService` (Postgres/, built apart) for a PostgreSQL database. The HTTP routes and
/// MCP tools are written once against this, so both stores answer with the same endpoints, tools and JSON.
public protocol IndexService: Sendable {
    /// Where writes go: the index file, or the database's URL without its password. Index answers name it.
    var location: String { get }
    /// Where searches and status read: `location`, or a read replica's URL.
    var readLocation: String { get }
    /// Opens what the first request would otherwise wait for; an index that does not exist yet is not an error.
    func warmUp() async throws
    /// One search through the store's ranking pipeline (and memory, where the store keeps it).
    func search(_ query: ServiceQuery) async throws -> ServiceSearch
    /// An indexed document's text (see `EngineService.document`); paths the index does not hold are refused.
    func document(path: String, lines: ClosedRange<Int>?, context: Int) async throws -> DocumentText
    /// What the index holds now.
    func status() async throws -> IndexStore.Stats
    /// Indexes folders or files as `engram index` does, holding the store's writer lock for the call.
    func index(paths: [String]) async throws -> ServiceIndexResult
}

extension IndexService {
    public var readLocation: String { location }
}

extension EngineService: IndexService {
    public nonisolated var location: String { indexPath }

    public nonisolated func search(_ query: ServiceQuery) async throws -> ServiceSearch {
        try await search(query, now: Date())
    }

    public nonisolated func index(paths: [String]) async throws -> ServiceIndexResult {
        try await index(paths: paths, includeHidden: false, maxFileSize: 10 << 20, reopenReader: true)
    }
}

extension DocumentText {
    /// The text of `doc` as extracted for indexing, read from disk now; `lines` picks lines (1-based,
    /// inclusive) and `context` widens them on both sides.
    public static func read(_ doc: IndexStore.Document, lines: ClosedRange<Int>?, context: Int) throws -> DocumentText {
        guard context >= 0 else { throw ServiceError.invalid("context must be 0 or more (got \(context))") }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: doc.path)) } catch {
            throw ServiceError.unreadable(path: doc.path, reason: (error as NSError).localizedDescription)
        }
        let extracted: ExtractedText
        do { extracted = try TextExtractor().extract(path: doc.path, data: data) } catch {
            throw ServiceError.unreadable(path: doc.path, reason: "\(error)")
        }
        return try slice(extracted.text, of: doc, lines: lines, context: context)
    }

    static func slice(_ text: String, of doc: IndexStore.Document, lines: ClosedRange<Int>?, context: Int) throws -> DocumentText {
        var all = text.split(separator: "\n", omittingEmptySubsequences: false)
        if all.last == "" { all.removeLast() }
        guard !all.isEmpty else {
            return DocumentText(path: doc.path, title: doc.title, type: doc.type, line_start: 0, line_end: 0, total_lines: 0, text: "")
        }
        let wanted = lines ?? 1...all.count
        guard wanted.lowerBound >= 1, wanted.lowerBound <= all.count else {
            throw ServiceError.invalid("lines \(wanted.lowerBound)-\(wanted.upperBound) are outside \(doc.path) (\(all.count) lines)")
        }
        let first = max(1, wanted.lowerBound - context), last = min(all.count, wanted.upperBound + context)
        return DocumentText(path: doc.path, title: doc.title, type: doc.type, line_start: first, line_end: last, total_lines: all.count,
                            text: all[(first - 1)...(last - 1)].joined(separator: "\n"))
    }
}
