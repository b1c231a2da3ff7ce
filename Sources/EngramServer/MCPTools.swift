import EngramEngine
import EngramService
import Foundation
import MCP

/// The tools `engram mcp` offers, with their JSON schemas, and how a call becomes an engine request.
struct MCPTools: Sendable {
    let engine: any IndexService
    /// The memory profile of this server's searches.
    let profile: String

    static let list: [Tool] = [
        Tool(name: "search",
             description: "Search the indexed documents by meaning and by words. Returns ranked results with path, line range, "
                + "title, score parts and a snippet. Recent searches re-rank later ones (memory).",
             inputSchema: schema(required: ["query"], [
                "query": ["type": "string", "description": "What to look for, in words."],
                "n": ["type": "integer", "minimum": 1, "maximum": 1000, "description": "Number of results (default 10)."],
                "mode": ["type": "string", "enum": ["hybrid", "semantic", "lexical"], "description": "Ranking (default hybrid)."],
                "path": ["type": "string", "description": "Only paths matching this glob (without /: the file name)."],
                "type": ["type": "array", "items": ["type": "string"], "description": "Only these file types (md, py, code, pdf…)."],
                "since": ["type": "string", "description": "Only documents modified on or after this date (YYYY-MM-DD)."],
                "explain": ["type": "boolean", "description": "Also return what memory (recent searches) did to each result."],
             ]),
             annotations: .init(readOnlyHint: false, destructiveHint: false, openWorldHint: false)),
        Tool(name: "get",
             description: "The text of an indexed document (as indexed, read from disk now), or of a range of its lines "
                + "widened by context lines. Paths that are not indexed are refused.",
             inputSchema: schema(required: ["path"], [
                "path": ["type": "string", "description": "The document's path, as search returns it."],
                "lines": ["type": "string", "description": "Lines to return, 12 or 12-40 (1-based, inclusive); default all."],
                "context": ["type": "integer", "minimum": 0, "description": "Extra lines on each side of `lines`."],
             ]),
             annotations: .init(readOnlyHint: true, openWorldHint: false)),
        Tool(name: "status", description: "What the index holds: documents, chunks, model, size, last indexing.",
             inputSchema: schema(required: [], [:]), annotations: .init(readOnlyHint: true, openWorldHint: false)),
        Tool(name: "index",
             description: "Index folders or files (new and changed files are embedded, deleted ones leave the index). "
                + "Waits for another indexing of the same index to finish first.",
             inputSchema: schema(required: ["paths"], [
                "paths": ["type": "array", "items": ["type": "string"], "description": "Absolute paths of folders or files."],
             ]),
             annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false)),
    ]

    static func schema(required: [String], _ properties: [String: Value]) -> Value {
        .object(["type": "object", "properties": .object(properties), "required": .array(required.map { .string($0) })])
    }

    /// Runs one tool; failures come back as an error result with their message, which the agent reads.
    func call(_ name: String, _ arguments: [String: Value]) async -> CallTool.Result {
        do {
            let data: Data
            switch name {
            case "search":
                let query = try ServiceRequests.query(
                    arguments["query"]?.stringValue, n: try Self.int(arguments["n"], "n"), mode: arguments["mode"]?.stringValue,
                    path: arguments["path"]?.stringValue, types: Self.strings(arguments["type"]), since: arguments["since"]?.stringValue,
                    profile: profile, explain: arguments["explain"]?.boolValue ?? false)
                data = try ServiceRequests.json(ServiceRequests.output(try await engine.search(query), withMemory: query.explain))
            case "get":
                guard let path = arguments["path"]?.stringValue, !path.isEmpty else { throw ServiceError.invalid("path is missing") }
                data = try ServiceRequests.json(try await engine.document(
                    path: path, lines: ServiceRequests.lines(arguments["lines"]?.stringValue), context: Self.int(arguments["context"], "context") ?? 0))
            case "status":
                data = try ServiceRequests.json(ServiceRequests.status(try await engine.status(), index: engine.readLocation))
            case "index":
                let paths = Self.strings(arguments["paths"])
                data = try ServiceRequests.json(IndexCallOutput(try await engine.index(paths: paths), index: engine.location))
            default:
                throw ServiceError.invalid("no tool named \(name) (tools: search, get, status, index)")
            }
            let text = String(decoding: data, as: UTF8.self)
            return .init(content: [.text(text: text, annotations: nil, _meta: nil)],
                         structuredContent: try? JSONDecoder().decode(Value.self, from: data), isError: false)
        } catch {
            return .init(content: [.text(text: "\(name): \(error)", annotations: nil, _meta: nil)], isError: true)
        }
    }

    /// A whole number, also when a client sends it as 5.0 or "5".
    static func int(_ value: Value?, _ name: String) throws -> Int? {
        switch value {
        case nil, .null?: return nil
        case .int(let n)?: return n
        case .double(let d)? where d == d.rounded() && abs(d) < 1e9: return Int(d)
        case .string(let s)? where Int(s) != nil: return Int(s)
        default: throw ServiceError.invalid("\(name) must be a whole number")
        }
    }

    /// A list of strings, also when a client sends one string.
    static func strings(_ value: Value?) -> [String] {
        if let s = value?.stringValue { return [s] }
        return value?.arrayValue?.compactMap(\.stringValue) ?? []
    }
}
