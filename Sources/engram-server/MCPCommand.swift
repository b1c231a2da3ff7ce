import ArgumentParser
import EngramCLI
import EngramEmbedding
import EngramEngine
import EngramServer
import EngramService
import Foundation

struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: ServerCommands.mcpAbstract,
        discussion: """
            Speaks MCP (JSON-RPC) on standard input and output; messages for people go to standard error. The model \
            and index stay loaded between calls.

            \(MCPServer.tools)

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
        // Returns when the client closes standard input.
        try await MCPServer.run(engine, profile: profile)
    }
}
