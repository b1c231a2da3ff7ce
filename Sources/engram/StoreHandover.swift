import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--store postgresql://…` (or `ENGRAM_STORE=postgresql://…`) on `index`, `search`, `status`, `remove`,
/// `eval`, `open`, `memory`, `report`, `serve` and `mcp` (and `bench scale|concurrent`): the PostgreSQL store is
/// `engram-pg` (built apart, in Postgres/, so that this binary does not carry postgres-nio), and these commands
/// hand the whole command line over to it. `--index` wins over `ENGRAM_STORE`; `--store` wins over both.
/// `--read-store URL` (a read replica) is engram-pg's too.
enum StoreHandover {
    static let commands: Set<String> = ["index", "search", "status", "remove", "eval", "open", "memory", "report", "serve", "mcp"]
    /// `engram bench scale|concurrent --store URL`: measured by engram-pg on the store.
    static let benchCommands: Set<String> = ["scale", "concurrent"]

    /// The store a command line names, when it is a PostgreSQL URL.
    static func store(_ arguments: [String], environment: [String: String]) -> String? {
        guard let command = arguments.first, commands.contains(command)
                || (command == "bench" && arguments.count > 1 && benchCommands.contains(arguments[1])) else { return nil }
        var store: String?, index = false
        for (i, a) in arguments.enumerated() {
            if a == "--store", i + 1 < arguments.count { store = arguments[i + 1] }
            if a.hasPrefix("--store=") { store = String(a.dropFirst("--store=".count)) }
            if store == nil, a == "--read-store", i + 1 < arguments.count { store = arguments[i + 1] }
            if store == nil, a.hasPrefix("--read-store=") { store = String(a.dropFirst("--read-store=".count)) }
            if a == "--index" || a.hasPrefix("--index=") { index = true }
        }
        if store == nil, !index, let env = environment["ENGRAM_STORE"], !env.isEmpty { store = env }
        guard let store, store.hasPrefix("postgresql://") || store.hasPrefix("postgres://") else { return nil }
        return store
    }

    /// engram-pg: $ENGRAM_PG, else beside this binary, else Postgres/.build/release in the checkout this
    /// binary was built in, else on the PATH.
    static func binary(environment: [String: String]) -> String? {
        let fm = FileManager.default
        if let p = environment["ENGRAM_PG"], !p.isEmpty { return fm.isExecutableFile(atPath: p) ? p : nil }
        let exe = (try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var candidates: [String] = []
        for path in [CommandLine.arguments[0], exe] where path.contains("/") {
            var folder = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
            candidates.append(folder.appendingPathComponent("engram-pg").path)
            // .build/[triple/]release/engram in a checkout → Postgres/.build/release/engram-pg
            for _ in 0..<4 {
                folder = folder.deletingLastPathComponent()
                candidates.append(folder.appendingPathComponent("Postgres/.build/release/engram-pg").path)
            }
        }
        for dir in (environment["PATH"] ?? "").split(separator: ":") { candidates.append("\(dir)/engram-pg") }
        return candidates.first { fm.isExecutableFile(atPath: $0) }
    }

    /// Replaces this process with engram-pg when the command line asks for a PostgreSQL store.
    static func handOverIfAsked() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let environment = ProcessInfo.processInfo.environment
        guard store(arguments, environment: environment) != nil else { return }
        guard let pg = binary(environment: environment) else {
            FileHandle.standardError.write(Data("engram: a postgresql:// store needs engram-pg, which is built apart: make pg (docs/postgres.md)\n".utf8))
            exit(1)
        }
        replaceProcess(with: pg, arguments: arguments)
    }

    /// Runs `binary` with `arguments` in this process's place (same standard streams, same exit code).
    static func replaceProcess(with binary: String, arguments: [String]) -> Never {
        let argv = ([binary] + arguments).map { strdup($0) } + [nil]
        execv(binary, argv)
        FileHandle.standardError.write(Data("engram: cannot run \(binary): \(String(cString: strerror(errno)))\n".utf8))
        exit(1)
    }
}

extension Engram {
    static func main() async {
        StoreHandover.handOverIfAsked()
        ServerHandover.handOverIfAsked()
        await main(nil)
    }
}
