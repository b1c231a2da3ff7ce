import ArgumentParser
import EngramCLI
import EngramEmbedding
import EngramEngine
import EngramServer
import EngramService
import Foundation

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: ServerCommands.serveAbstract,
        discussion: """
            \(HTTPServer.endpoints)

            Searches are remembered per profile, as with `engram search`. POST /index takes the index's writer lock \
            for the duration of the call; searches meanwhile answer from the last committed state, and see the new \
            state once it returns. Listens on loopback unless --host says otherwise; any other address needs --token, \
            and then every request must carry `Authorization: Bearer TOKEN`. SIGTERM or Ctrl-C finish the requests \
            in progress, then stop.

            \(IndexLocation.rule)

            Examples:
              engram serve
              curl 'http://127.0.0.1:7700/search?q=how+do+tides+work&n=5'
              curl -X POST -d '{"paths": ["/home/me/notes"]}' http://127.0.0.1:7700/index
              engram serve --host 0.0.0.0 --port 8080 --token "$(cat ~/.engram-token)"
            """
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port, printed at start).")
    var port = 7700

    @Option(help: "Index file.")
    var index: String?

    @Option(help: "Bearer token every request must carry (required off loopback; also accepted on loopback).")
    var token: String?

    @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
    var model: String?

    func validate() throws {
        try Validate.path(index, flag: "--index")
        if let problem = HTTPServer.problem(host: host, port: port, token: token) { throw Usage.error(problem) }
    }

    func run() async throws {
        let engine = try EngineService(indexPath: IndexLocation.resolve(index), modelFolder: ModelStore.resolve(model), warn: Terminal.warn)
        // Stops on SIGTERM and SIGINT after the requests in progress are answered.
        try await HTTPServer.run(engine, host: host, port: port, token: token)
    }
}
