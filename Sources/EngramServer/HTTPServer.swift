import EngramService
import Foundation
import Hummingbird
import NIOCore

/// `engram serve`: the HTTP JSON API over an index service, whichever store holds the index.
public enum HTTPServer {
    /// The endpoints, for the commands' help.
    public static let endpoints = """
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
        """

    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// Why `host`, `port` and `token` cannot serve, in one line; nil when they can. Off loopback a token is required.
    public static func problem(host: String, port: Int, token: String?) -> String? {
        guard (0...65535).contains(port) else { return "--port must be between 0 and 65535 (got \(port))" }
        if let token, token.trimmingCharacters(in: .whitespaces).isEmpty { return "--token is empty" }
        if token == nil && !isLoopback(host) {
            return "--host \(host) is not a loopback address: pass --token so that only clients who know it are answered"
        }
        return nil
    }

    /// Serves until SIGTERM or SIGINT, then answers the requests in progress and returns. Once listening,
    /// prints "engram serve: listening on http://HOST:PORT" on standard output (scripts wait for it).
    public static func run(_ service: any IndexService, host: String, port: Int, token: String?) async throws {
        try await service.warmUp()
        let router = Router()
        if let token { router.add(middleware: BearerToken(token: token)) }
        HTTPRoutes(engine: service).register(on: router)
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "engram"),
            onServerRunning: { channel in
                let line = "engram serve: listening on http://\(host):\(channel.localAddress?.port ?? 0)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            })
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
