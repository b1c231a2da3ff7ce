import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramService
import Foundation
import Hummingbird
import NIOCore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve an index over HTTP as a JSON API, with the model and index kept loaded.",
        discussion: """
            Endpoints (JSON; errors are {"error": {"message": …}} with 400, 401, 404, 503):
              GET  /search?q=QUERY&n=10&mode=hybrid&profile=default
                   also path=GLOB, type=md, since=DATE, memory=false;
                   answers what `engram search --json` prints
              GET  /documents?path=PATH&lines=12-40&context=3
                   an indexed document's text (any other path: 404)
              GET  /status
                   what `engram status --json` prints
              POST /index with {"paths": ["/abs/folder"]}
                   what `engram index --json` prints, plus warnings

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
        guard (0...65535).contains(port) else { throw Usage.error("--port must be between 0 and 65535 (got \(port))") }
        if let token, token.trimmingCharacters(in: .whitespaces).isEmpty { throw Usage.error("--token is empty") }
        if token == nil && !Self.isLoopback(host) {
            throw Usage.error("--host \(host) is not a loopback address: pass --token so that only clients who know it are answered")
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    func run() async throws {
        let engine = try EngineService(indexPath: IndexLocation.resolve(index), modelFolder: ModelStore.resolve(model), warn: Terminal.warn)
        try await engine.warmUp()
        let router = Router()
        if let token { router.add(middleware: BearerToken(token: token)) }
        HTTPRoutes(engine: engine).register(on: router)
        let host = self.host
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "engram"),
            onServerRunning: { channel in
                // One line on standard output that scripts (and the tests) wait for.
                let line = "engram serve: listening on http://\(host):\(channel.localAddress?.port ?? 0)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            })
        // Stops on SIGTERM and SIGINT after the requests in progress are answered.
        try await app.runService()
    }
}

/// Answers 401 to any request without `Authorization: Bearer TOKEN`.
struct BearerToken<Context: RequestContext>: RouterMiddleware {
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let expected = Array("Bearer \(token)".utf8)
        let given = Array((request.headers[.authorization] ?? "").utf8)
        // Compares every byte, so the time taken says nothing about how much of a guess was right.
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for i in 0..<expected.count { difference |= expected[i] ^ (i < given.count ? given[i] : 0) }
        guard difference == 0 else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "missing or wrong bearer token")
        }
        return try await next(request, context)
    }
}
