import EngramEngine
import EngramService
import Foundation
import Hummingbird
import NIOCore

/// The routes of `engram serve`: each decodes its parameters, asks the engine and answers JSON.
struct HTTPRoutes: Sendable {
    let engine: any IndexService

    /// The body of POST /index.
    struct IndexBody: Decodable {
        let paths: [String]
    }

    func register(on router: Router<BasicRequestContext>) {
        router.get("/search") { request, _ in
            try await answer {
                let p = request.uri.queryParameters
                let query = try ServiceRequests.query(
                    p.get("q"), n: try Self.int(p.get("n"), "n"), mode: p.get("mode"), path: p.get("path"),
                    types: p.getAll("type").flatMap { $0.split(separator: ",").map(String.init) }, since: p.get("since"),
                    profile: p.get("profile"), explain: true, memory: try Self.bool(p.get("memory"), "memory") ?? true)
                return ServiceRequests.output(try await engine.search(query))
            }
        }
        router.get("/documents") { request, _ in
            try await answer {
                let p = request.uri.queryParameters
                guard let path = p.get("path"), !path.isEmpty else { throw ServiceError.invalid("path is missing") }
                return try await engine.document(path: path, lines: ServiceRequests.lines(p.get("lines")),
                                                 context: Self.int(p.get("context"), "context") ?? 0)
            }
        }
        router.get("/status") { _, _ in
            try await answer { ServiceRequests.status(try await engine.status(), index: engine.readLocation) }
        }
        router.post("/index") { request, context in
            try await answer {
                let body: IndexBody
                do { body = try await context.requestDecoder.decode(IndexBody.self, from: request, context: context) } catch {
                    throw ServiceError.invalid("the body must be JSON like {\"paths\": [\"/folder\"]}")
                }
                return IndexCallOutput(try await engine.index(paths: body.paths), index: engine.location)
            }
        }
    }

    static func int(_ text: String?, _ name: String) throws -> Int? {
        guard let text else { return nil }
        guard let n = Int(text) else { throw ServiceError.invalid("\(name) must be a whole number (got \"\(text)\")") }
        return n
    }

    static func bool(_ text: String?, _ name: String) throws -> Bool? {
        switch text?.lowercased() {
        case nil: nil
        case "1", "true", "yes", "": true
        case "0", "false", "no": false
        default: throw ServiceError.invalid("\(name) must be true or false (got \"\(text!)\")")
        }
    }
}

/// Encodes `body`'s value as JSON; a `ServiceError` becomes 400 (the request's fault), 404 (a document
/// that is not indexed) or 503 (no index yet), and anything else 500, each with its message.
func answer<T: Encodable>(_ body: () async throws -> T) async throws -> Response {
    do {
        let data = try ServiceRequests.json(try await body())
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    } catch let error as ServiceError {
        switch error {
        case .notIndexed: throw HTTPError(.notFound, message: error.description)
        case .noIndex: throw HTTPError(.serviceUnavailable, message: error.description)
        case .invalid: throw HTTPError(.badRequest, message: error.description)
        case .unreadable: throw HTTPError(.internalServerError, message: error.description)
        }
    } catch let error as HTTPError {
        throw error
    } catch {
        throw HTTPError(.internalServerError, message: "\(error)")
    }
}
