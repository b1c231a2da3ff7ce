import ArgumentParser
import EngramCLI

/// engram-server runs `engram serve` and `engram mcp`: engram hands those command lines over to it whole
/// (see ServerHandover there), so it answers to the name engram.
@main
struct EngramServerMain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engram",
        abstract: "Engram's long-running servers, run as `engram serve` (HTTP) and `engram mcp` (agents).",
        version: EngramVersion.current,
        subcommands: [ServeCommand.self, MCPCommand.self]
    )
}
