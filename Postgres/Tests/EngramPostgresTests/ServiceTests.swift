import EngramEmbedding
import EngramPostgres
import Foundation
import Testing

/// `serve` and `mcp` on the PostgreSQL store: the same endpoints, tools and JSON as on a SQLite index (engram-pg
/// serves a SQLite path with the very service `engram serve --index` runs), the writer lock held by an index
/// call, and a read replica that searches follow.
@Suite(.serialized, .enabled(if: TestServer.available, TestServer.skipReason))
struct ServingTests {
    /// What every spawned engram-pg gets: a home of its own (memory, config), the model where it is installed.
    static let environment: [String: String] = {
        let home = Fixtures.temporaryFolder()
        return ["ENGRAM_HOME": home.path, "ENGRAM_MODEL": ModelStore.resolve(nil).path, "ENGRAM_STORE": "", "ENGRAM_READ_STORE": ""]
    }()

    /// The JSON's structure without its values: object keys and value kinds, an array as the set of its
    /// elements' shapes. `timings_ms` is an object of numbers whose keys are each store's own stages.
    static func shape(_ value: Any?, key: String = "") -> String {
        switch value {
        case let object as [String: Any]:
            if key == "timings_ms" { return "{timings}" }
            return "{" + object.keys.sorted().map { "\($0): \(shape(object[$0], key: $0))" }.joined(separator: ", ") + "}"
        case let array as [Any]:
            return "[" + Set(array.map { shape($0, key: key) }).sorted().joined(separator: " | ") + "]"
        case is String: return "string"
        case is NSNumber: return "number"
        case nil, is NSNull: return "null"
        default: return "\(type(of: value!))"
        }
    }

    /// A server on each store, both indexed with the corpus through POST /index.
    struct Pair {
        let sqlite: ServerProcess, postgres: ServerProcess
        let lite: String, pg: String
        let url: String, index: String, folder: URL

        func dispose() async {
            sqlite.stop()
            postgres.stop()
            await TestServer.dropDatabase(url)
            try? FileManager.default.removeItem(at: folder.deletingLastPathComponent())
            try? FileManager.default.removeItem(at: URL(fileURLWithPath: index).deletingLastPathComponent())
        }
    }

    static func startPair() async throws -> Pair {
        try #require(FileManager.default.isExecutableFile(atPath: EngramPGCommand.binary), "engram-pg is built by swift build --build-tests")
        let url = try await TestServer.freshDatabase()
        let index = Fixtures.temporaryFolder().appendingPathComponent("serve.sqlite").path
        let folder = try Fixtures.corpusFolder()
        let sqlite = try ServerProcess(["serve", "--store", index, "--port", "0"], environment: environment)
        let postgres = try ServerProcess(["serve", "--store", url, "--port", "0"], environment: environment)
        return Pair(sqlite: sqlite, postgres: postgres, lite: try sqlite.base(), pg: try postgres.base(), url: url, index: index, folder: folder)
    }

    @Test func serveAnswersAsOnSQLite() async throws {
        let s = try await Self.startPair()
        do {
            try await Self.compare(s)
        } catch {
            await s.dispose()
            throw error
        }
        await s.dispose()
    }

    static func compare(_ s: Pair) async throws {

        // No index yet: 503 on both, with the store named.
        let empty = (try HTTP.request(s.lite + "/status"), try HTTP.request(s.pg + "/status"))
        #expect(empty.0.status == 503 && empty.1.status == 503, "\(empty.0.body) \(empty.1.body)")
        #expect(empty.1.body.contains("no index at postgresql:"), "\(empty.1.body)")

        // POST /index: the same report, naming each store.
        let body = "{\"paths\": [\"\(s.folder.path)\"]}"
        let database = try PostgresLocation(url: s.url).display
        let indexed = (try HTTP.request(s.lite + "/index", method: "POST", body: body), try HTTP.request(s.pg + "/index", method: "POST", body: body))
        #expect(indexed.0.status == 200 && indexed.1.status == 200, "\(indexed.0.body) \(indexed.1.body)")
        #expect(Self.shape(indexed.0.json) == Self.shape(indexed.1.json))
        #expect(indexed.0.json?["added"] as? Int == Fixtures.corpus.count && indexed.1.json?["added"] as? Int == Fixtures.corpus.count)
        #expect(indexed.0.json?["index"] as? String == s.index)
        #expect(indexed.1.json?["index"] as? String == database)

        // /search: the same shape, the same documents in the same order with the same scores (the exact scan).
        var compared = 0
        for query in ["why does the sea rise and fall with the moon", "knead dough yeast", "travel budget", "quicksort pivot"] {
            for extra in ["", "&mode=semantic", "&mode=lexical", "&type=md", "&path=*.txt", "&since=2000-01-01"] {
                let q = "/search?q=\(HTTP.escape(query))&n=5&memory=false" + extra
                let (a, b) = (try HTTP.request(s.lite + q), try HTTP.request(s.pg + q))
                #expect(a.status == 200 && b.status == 200, "\(q): \(a.body) \(b.body)")
                #expect(Self.shape(a.json) == Self.shape(b.json), "\(q)")
                let x = a.json?["results"] as? [[String: Any]] ?? [], y = b.json?["results"] as? [[String: Any]] ?? []
                #expect(x.map { $0["path"] as? String } == y.map { $0["path"] as? String }, "\(q)")
                for (h, k) in zip(x, y) {
                    #expect(abs((h["score"] as? Double ?? -1) - (k["score"] as? Double ?? 1)) < 1e-4, "\(q)")
                    for field in ["line", "line_end", "title", "snippet", "chunk", "rank"] {
                        #expect("\(h[field] ?? "")" == "\(k[field] ?? "")", "\(q) \(field)")
                    }
                }
                #expect(b.json?["query"] as? String == query && b.json?["mode"] as? String != nil)
                compared += y.count
            }
        }
        #expect(compared > 40)
        let top = try HTTP.request(s.pg + "/search?q=\(HTTP.escape("why does the sea rise and fall with the moon"))&n=1")
        #expect((top.json?["results"] as? [[String: Any]])?.first?["path"] as? String == s.folder.appendingPathComponent("tides.md").path)

        // Memory on both: a profile's searches are remembered and shown in the JSON, and kept to that profile.
        for base in [s.lite, s.pg] {
            #expect(try HTTP.request(base + "/search?q=\(HTTP.escape("knead dough yeast"))&profile=baker").status == 200)
            let second = try HTTP.request(base + "/search?q=bread&profile=baker")
            let memory = second.json?["memory"] as? [String: Any]
            #expect(memory?["profile"] as? String == "baker", "\(base): \(second.body)")
            let entries = memory?["entries"] as? [[String: Any]] ?? []
            #expect(entries.contains { $0["text"] as? String == "knead dough yeast" }, "\(base): \(second.body)")
            let other = try HTTP.request(base + "/search?q=bread&profile=sailor")
            let otherEntries = (other.json?["memory"] as? [String: Any])?["entries"] as? [[String: Any]] ?? []
            #expect(!otherEntries.contains { $0["text"] as? String == "knead dough yeast" }, "\(base): \(other.body)")
        }

        // Mistakes in the request: 400 on both.
        for q in ["/search?q=tides&mode=fuzzy", "/search?q=", "/search?q=tides&n=0", "/search?q=tides&since=someday", "/documents"] {
            let (a, b) = (try HTTP.request(s.lite + q), try HTTP.request(s.pg + q))
            #expect(a.status == 400 && b.status == 400 && a.body == b.body, "\(q): \(a.body) \(b.body)")
        }

        // /documents: the same text for an indexed file; 404 for any other.
        let tides = s.folder.appendingPathComponent("tides.md").path
        let doc = (try HTTP.request(s.lite + "/documents?path=\(HTTP.escape(tides))&lines=2-3&context=1"),
                   try HTTP.request(s.pg + "/documents?path=\(HTTP.escape(tides))&lines=2-3&context=1"))
        #expect(doc.0.status == 200 && doc.1.status == 200 && doc.0.body == doc.1.body, "\(doc.0.body) \(doc.1.body)")
        #expect(doc.1.json?["line_start"] as? Int == 1 && doc.1.json?["line_end"] as? Int == 3)
        #expect(try HTTP.request(s.pg + "/documents?path=/etc/passwd").status == 404)

        // /status: the same shape and figures.
        let status = (try HTTP.request(s.lite + "/status"), try HTTP.request(s.pg + "/status"))
        #expect(status.0.status == 200 && status.1.status == 200)
        #expect(Self.shape(status.0.json) == Self.shape(status.1.json), "\(status.0.body) \(status.1.body)")
        for field in ["documents", "chunks", "model", "dimension", "precision", "roots"] {
            #expect("\(status.0.json?[field] ?? "")" == "\(status.1.json?[field] ?? "")", "\(field)")
        }
        #expect(status.1.json?["index"] as? String == database)
    }

    /// POST /index holds the database's writer advisory lock, as `engram index --store` does: while another
    /// writer has it, the call waits (and says so) and searches go on; once it is free the call completes.
    @Test func indexCallTakesTheWriterLock() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: EngramPGCommand.binary), "engram-pg is built by swift build --build-tests")
        let url = try await TestServer.freshDatabase()
        let folder = try Fixtures.corpusFolder()
        let server = try ServerProcess(["serve", "--store", url, "--port", "0"], environment: Self.environment)
        let base = try server.base()
        defer {
            server.stop()
            try? FileManager.default.removeItem(at: folder.deletingLastPathComponent())
        }
        let first = try HTTP.request(base + "/index", method: "POST", body: "{\"paths\": [\"\(folder.path)\"]}")
        #expect(first.status == 200, "\(first.body)")

        let holder = try await PostgresStore.connect(url)
        try await holder.lockWriter(wait: false)
        let extra = Fixtures.temporaryFolder().appendingPathComponent("extra")
        try Fixtures.write("# Zanzibar quokka\n\nA note about the zanzibar quokka festival.\n", to: extra.appendingPathComponent("quokka.md"))
        let reply = LockedBox<HTTPReply?>(nil)
        let indexing = Thread { reply.set(try? HTTP.request(base + "/index", method: "POST", body: "{\"paths\": [\"\(extra.path)\"]}")) }
        indexing.start()
        let waited = await eventually(timeout: 120) { server.stderr.contains("waiting for another engram index on") }
        #expect(waited, "\(server.stderr)")
        #expect(reply.get() == nil)
        let during = try HTTP.request(base + "/search?q=quokka&memory=false&mode=lexical")
        #expect(during.status == 200 && (during.json?["results"] as? [Any])?.isEmpty == true, "\(during.body)")
        #expect(try HTTP.request(base + "/status").json?["documents"] as? Int == Fixtures.corpus.count)

        try await holder.unlockWriter()
        await holder.close()
        let finished = await eventually(timeout: 300) { reply.get() != nil }
        #expect(finished)
        #expect(reply.get()?.status == 200 && reply.get()?.json?["added"] as? Int == 1, "\(reply.get()?.body ?? "")")
        let after = try HTTP.request(base + "/search?q=quokka&memory=false&mode=lexical")
        #expect((after.json?["results"] as? [[String: Any]])?.first?["path"] as? String == extra.appendingPathComponent("quokka.md").path)

        // While an index call embeds (on a thread of its own), searches keep being answered, each from one committed state.
        let lunar = extra.appendingPathComponent("lunar")
        for i in 0..<150 {
            try Fixtures.write("# Lunar note \(i)\n\nThe gravitational pull of the moon on the oceans, part \(i).\n",
                               to: lunar.appendingPathComponent("lunar\(i).md"))
        }
        let big = LockedBox<HTTPReply?>(nil)
        Thread { big.set(try? HTTP.request(base + "/index", method: "POST", body: "{\"paths\": [\"\(lunar.path)\"]}")) }.start()
        var searchesDuring = 0
        for _ in 0..<200 where big.get() == nil {
            let r = try HTTP.request(base + "/search?q=moon%20tides&n=5&memory=false")
            #expect(r.status == 200, "\(r.body)")
            for hit in (r.json?["results"] as? [[String: Any]]) ?? [] { #expect(hit["path"] as? String != nil && hit["chunk"] as? String != nil) }
            searchesDuring += 1
        }
        #expect(await eventually(timeout: 300) { big.get() != nil })
        #expect(big.get()?.status == 200 && big.get()?.json?["added"] as? Int == 150, "\(big.get()?.body ?? "")")
        #expect(searchesDuring > 1, "searches answered while indexing: \(searchesDuring)")
        #expect(try HTTP.request(base + "/status").json?["documents"] as? Int == Fixtures.corpus.count + 151)
        server.stop()
        await TestServer.dropDatabase(url)
        try? FileManager.default.removeItem(at: extra.deletingLastPathComponent())
    }

    /// `mcp` on PostgreSQL driven by the reference MCP client (PyPI `mcp`), and the same calls on SQLite.
    @Test(.enabled(if: MCPClient.installed, "the Python MCP client is not installed (run scripts/setup.sh): skipped"))
    func mcpToolsOnPostgres() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: EngramPGCommand.binary), "engram-pg is built by swift build --build-tests")
        let url = try await TestServer.freshDatabase()
        let folder = try Fixtures.corpusFolder()
        let index = Fixtures.temporaryFolder().appendingPathComponent("mcp.sqlite").path
        let outside = Fixtures.temporaryFolder().appendingPathComponent("outside.md")
        try Fixtures.write("# Outside\n\nNot indexed.\n", to: outside)
        let document = folder.appendingPathComponent("tides.md").path
        let pg = try MCPClient.run(store: url, folder: folder.path, document: document, outside: outside.path)
        let lite = try MCPClient.run(store: index, folder: folder.path, document: document, outside: outside.path)
        func call(_ r: [String: Any], _ name: String) -> [String: Any] { r[name] as? [String: Any] ?? [:] }
        func json(_ r: [String: Any], _ name: String) -> [String: Any] { call(r, name)["json"] as? [String: Any] ?? [:] }

        #expect(pg["server"] as? String == "engram")
        #expect(pg["tools"] as? [String] == ["get", "index", "search", "status"])
        #expect(call(pg, "status_before")["error"] as? Bool == true)
        #expect((call(pg, "status_before")["text"] as? String)?.contains("no index at postgresql://") == true, "\(call(pg, "status_before"))")
        #expect(json(pg, "index")["added"] as? Int == Fixtures.corpus.count, "\(call(pg, "index"))")
        #expect(json(pg, "status_after")["documents"] as? Int == Fixtures.corpus.count)

        let results = json(pg, "search")["results"] as? [[String: Any]] ?? []
        #expect(results.count == 3)
        #expect(results.first?["path"] as? String == document, "\(call(pg, "search"))")
        #expect(results.first?["title"] as? String == "Tides" && results.first?["snippet"] as? String != nil)
        // The same answer, field for field, as the SQLite store's.
        for name in ["index", "status_after", "search", "search_filtered", "get"] {
            // What memory did (asked for by search_filtered's explain) is the store's memory's: compared apart.
            let (a, b) = (json(pg, name).filter { $0.key != "memory" }, json(lite, name).filter { $0.key != "memory" })
            #expect(ServingTests.shape(a) == ServingTests.shape(b), "\(name)")
        }
        let x = json(lite, "search")["results"] as? [[String: Any]] ?? []
        #expect(x.map { $0["path"] as? String } == results.map { $0["path"] as? String })
        let filtered = json(pg, "search_filtered")["results"] as? [[String: Any]] ?? []
        #expect(!filtered.isEmpty && filtered.allSatisfy { ($0["path"] as? String)?.hasSuffix(".py") == true }, "\(call(pg, "search_filtered"))")
        #expect(json(pg, "get")["line_start"] as? Int == 1 && json(pg, "get")["line_end"] as? Int == 3)
        #expect(call(pg, "get_outside")["error"] as? Bool == true)
        #expect((call(pg, "get_outside")["text"] as? String)?.contains("not an indexed document") == true)
        #expect(call(pg, "search_empty")["error"] as? Bool == true)

        await TestServer.dropDatabase(url)
        for f in [folder.deletingLastPathComponent(), URL(fileURLWithPath: index).deletingLastPathComponent(), outside.deletingLastPathComponent()] {
            try? FileManager.default.removeItem(at: f)
        }
    }
}

/// The reference MCP client (PyPI `mcp`, installed by scripts/setup.sh into .build-venv) running
/// Tests/Clients/mcp_client.py against `engram-pg mcp --store STORE`.
enum MCPClient {
    static let python = TestServer.root.appendingPathComponent(".build-venv/bin/python").path
    static let script = TestServer.root.appendingPathComponent("Tests/Clients/mcp_client.py").path

    static let installed: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", "import mcp"]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    static func run(store: String, folder: String, document: String, outside: String) throws -> [String: Any] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script, EngramPGCommand.binary, "--store=\(store)", folder, document, outside]
        p.environment = ProcessInfo.processInfo.environment.merging(ServingTests.environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(errors)")
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(errors)")
    }
}
