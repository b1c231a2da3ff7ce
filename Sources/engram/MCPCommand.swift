import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramService
import Foundation
import MCP

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve an index to AI agents over the Model Context Protocol (stdio).",
        discussion: """
            Speaks MCP (JSON-RPC) on standard input and output; messages for people go to standard error. The model \
            and index stay loaded between calls. Tools:
              search  query, n, mode, path, type, since, explain
                      → ranked results: path, lines, title, scores, snippet
              get     path, lines ("12-40"), context
                      → an indexed document's text (other paths are refused)
              status  → what the index holds
              index   paths → what changed (holds the writer lock for the call)

            Searches are remembered under --profile, as with `engram search`.

            \(IndexLocation.rule)

            Examples (an agent's configuration runs the command):
              engram mcp
              engram mcp --index ~/notes.sqlite --profile agent
              {"mcpServers": {"engram": {"command": "engram", "args": ["mcp", "--profile", "agent"]}}}
            """
    )

    @Option(help: "Index file.")
    var index: String?

    @Option(help: "Memory profile for this agent's searches.")
    var profile = "agent"

    @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
    var model: String?

    func validate() throws {
        try Validate.path(index, flag: "--index")
        guard !profile.isEmpty else { throw Usage.error("--profile is empty") }
    }

    func run() async throws {
        let engine = try EngineService(indexPath: IndexLocation.resolve(index), modelFolder: ModelStore.resolve(model), warn: Terminal.warn)
        try await engine.warmUp()
        let server = Server(name: "engram", version: "1", capabilities: .init(tools: .init(listChanged: false)))
        let tools = MCPTools(engine: engine, profile: profile)
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: MCPTools.list) }
        await server.withMethodHandler(CallTool.self) { params in await tools.call(params.name, params.arguments ?? [:]) }
        try await server.start(transport: StdioTransport())
        // Returns when the client closes standard input.
        await server.waitUntilCompleted()
    }
}
