import ArgumentParser
import Foundation

/// `engram serve` and `engram mcp` run in engram-server, built beside engram: the HTTP and MCP stacks (SwiftNIO,
/// Hummingbird, the MCP SDK and FoundationNetworking's libcurl chain) are libraries every process that links
/// them loads at start, which a one-shot `engram search` would pay for on every query. The command line is
/// handed over whole, so the two commands take the same flags and print the same help as if they were here.
enum ServerHandover {
    static let commands: Set<String> = ["serve", "mcp"]

    /// Whether a command line (without the program name) is for engram-server, its help included.
    static func isServerCommand(_ arguments: [String]) -> Bool {
        guard let first = arguments.first else { return false }
        if first == "help", arguments.count > 1 { return commands.contains(arguments[1]) }
        return commands.contains(first)
    }

    /// engram-server: beside this binary (as invoked, or its link resolved), else on the PATH.
    static func binary(environment: [String: String]) -> String? {
        let fm = FileManager.default
        let exe = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var candidates = [CommandLine.arguments[0], exe].filter { $0.contains("/") }.map {
            URL(fileURLWithPath: $0).standardizedFileURL.deletingLastPathComponent().appendingPathComponent("engram-server").path
        }
        for dir in (environment["PATH"] ?? "").split(separator: ":") { candidates.append("\(dir)/engram-server") }
        return candidates.first { fm.isExecutableFile(atPath: $0) }
    }

    static func handOverIfAsked() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard isServerCommand(arguments) else { return }
        handOver(arguments)
    }

    static func handOver(_ arguments: [String]) -> Never {
        guard let server = binary(environment: ProcessInfo.processInfo.environment) else {
            FileHandle.standardError.write(Data("engram: serve and mcp run in engram-server, which is not beside engram nor on the PATH: make build\n".utf8))
            exit(1)
        }
        StoreHandover.replaceProcess(with: server, arguments: arguments)
    }
}

/// `engram serve`, listed here for `engram --help`; engram-server runs it.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: ServerCommands.serveAbstract)
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
    func run() throws { ServerHandover.handOver(["serve"] + arguments) }
}

/// `engram mcp`, listed here for `engram --help`; engram-server runs it.
struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mcp", abstract: ServerCommands.mcpAbstract)
    @Argument(parsing: .allUnrecognized) var arguments: [String] = []
    func run() throws { ServerHandover.handOver(["mcp"] + arguments) }
}
