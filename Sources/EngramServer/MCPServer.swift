import EngramService
import Foundation
import MCP

/// `engram mcp`: the Model Context Protocol server over stdio, whichever store holds the index.
public enum MCPServer {
    /// The tools, for the commands' help.
    public static let tools = """
        Tools:
          search  query, n, mode, path, type, since, explain
                  → ranked results: path, lines, title, scores, snippet
          get     path, lines ("12-40"), context
                  → an indexed document's text (other paths are refused)
          status  → what the index holds
          index   paths → what changed (holds the writer lock for the call)
        """

    /// Speaks MCP on standard input and output until the client closes standard input; searches are
    /// made under `profile`.
    public static func run(_ service: any IndexService, profile: String) async throws {
        try await service.warmUp()
        let server = Server(name: "engram", version: "1", capabilities: .init(tools: .init(listChanged: false)))
        let tools = MCPTools(engine: service, profile: profile)
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: MCPTools.list) }
        await server.withMethodHandler(CallTool.self) { params in await tools.call(params.name, params.arguments ?? [:]) }
        try await server.start(transport: StdioTransport())
        await server.waitUntilCompleted()
    }
}
