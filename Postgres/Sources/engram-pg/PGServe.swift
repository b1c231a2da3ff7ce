import ArgumentParser
import EngramEmbedding
import EngramPostgres
import EngramServer
import EngramService
import Foundation

/// `--read-store URL` (else `$ENGRAM_READ_STORE`): a streaming replica that searches and status read while
/// writers use `--store`, the primary.
struct ReadStoreOptions: ParsableArguments {
    @Option(name: .customLong("read-store"),
            help: "A read replica's postgresql:// URL for searches and status (default: $ENGRAM_READ_STORE); writes go to --store.")
    var readStore: String?

    /// The read URL, or nil (read the store itself). `$ENGRAM_READ_STORE` applies to PostgreSQL stores only,
    /// so that it does not get in the way of comparing with a SQLite index.
    func url(for location: String) throws -> String? {
        if let readStore {
            guard PostgresLocation.isURL(readStore), (try? PostgresLocation(url: readStore)) != nil else {
                throw fail("--read-store: \(readStore) is not a postgresql://[user[:password]@]host[:port]/database URL", code: 64)
            }
            guard PostgresLocation.isURL(location) else { throw fail("--read-store needs a postgresql:// --store (got \(location))", code: 64) }
            return readStore
        }
        guard PostgresLocation.isURL(location), let env = ProcessInfo.processInfo.environment["ENGRAM_READ_STORE"], !env.isEmpty else { return nil }
        guard (try? PostgresLocation(url: env)) != nil else { throw fail("ENGRAM_READ_STORE: \(env) is not a postgresql:// URL", code: 64) }
        return env
    }

    /// Points a store's searches and status at the read URL, if there is one.
    func apply(to store: any SearchStore, location: String) throws {
        guard let url = try url(for: location), let pg = store as? PostgresSearchStore else { return }
        pg.readURL = url
    }
}

extension StoreOptions {
    /// What `serve` and `mcp` run on: the PostgreSQL store for a URL, and for a SQLite index path the very
    /// service `engram serve --index PATH` runs, so one binary serves both stores alike.
    func service(_ replica: ReadStoreOptions) throws -> any IndexService {
        let location = try location
        let readURL = try replica.url(for: location)
        let folder = ModelStore.resolve(model)
        do {
            if PostgresLocation.isURL(location) {
                return try PostgresService(url: location, readURL: readURL, encoder: SentenceEncoder(folder: folder), warn: { warn($0) })
            }
            if location.contains("://") { throw PostgresStoreError.badURL(location) }
            return try EngineService(indexPath: location, modelFolder: folder, warn: { warn($0) })
        } catch {
            throw fail("\(error)")
        }
    }
}

struct PGServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the store over HTTP as a JSON API: the endpoints and JSON of `engram serve`.",
        discussion: """
            \(HTTPServer.endpoints)

            Searches, documents and status read --read-store when given (a streaming replica: a little behind the \
            primary), else --store. POST /index writes to --store and holds the database's writer lock for the call, \
            as `engram index --store` does: another writer, here or on another machine, waits. Listens on loopback \
            unless --host says otherwise; any other address needs --token, and then every request must carry \
            `Authorization: Bearer TOKEN`. SIGTERM or Ctrl-C finish the requests in progress, then stop.

            Examples:
              engram serve --store postgresql://postgres@127.0.0.1:5432/engram
              engram serve --store postgresql://db1/engram --read-store postgresql://db2/engram --port 8080 --token "$T"
            """
    )

    @OptionGroup var options: StoreOptions
    @OptionGroup var replica: ReadStoreOptions
    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).")
    var port = 7700
    @Option(help: "Bearer token every request must carry (required off loopback; also accepted on loopback).")
    var token: String?

    func validate() throws {
        if let problem = HTTPServer.problem(host: host, port: port, token: token) { throw fail(problem, code: 64) }
    }

    func run() async throws {
        let service = try options.service(replica)
        try await reporting { try await HTTPServer.run(service, host: host, port: port, token: token) }
    }
}

struct PGMCP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the store to AI agents over the Model Context Protocol (stdio): the tools of `engram mcp`.",
        discussion: """
            Speaks MCP (JSON-RPC) on standard input and output; messages for people go to standard error.

            \(MCPServer.tools)

            search, get and status read --read-store when given (a streaming replica), else --store; index writes \
            to --store under the database's writer lock.

            Example (an agent's configuration runs the command):
              {"mcpServers": {"engram": {"command": "engram", "args": ["mcp", "--store", "postgresql://db1/engram"]}}}
            """
    )

    @OptionGroup var options: StoreOptions
    @OptionGroup var replica: ReadStoreOptions
    @Option(help: "Memory profile for this agent's searches.")
    var profile = "agent"

    func validate() throws {
        guard !profile.isEmpty else { throw fail("--profile is empty", code: 64) }
    }

    func run() async throws {
        let service = try options.service(replica)
        try await reporting { try await MCPServer.run(service, profile: profile) }
    }
}
