import Foundation
import Testing

/// `engram serve` answered with real HTTP requests on a loopback port.
@Suite(.serialized) struct ServeTests {
    func indexedCorpus() throws -> (folder: URL, index: String) {
        let folder = try EngineSupport.copyOfFixtures()
        let index = EngineSupport.temporaryFolder().appendingPathComponent("serve.sqlite").path
        let (status, _, err) = try EngineSupport.run(["index", folder.path, "--index", index, "--quiet"])
        #expect(status == 0, "\(err)")
        return (folder, index)
    }

    @Test func searchDocumentsStatusAndIndexWhileSearching() throws {
        let (folder, index) = try indexedCorpus()
        let server = try ServerProcess(["serve", "--port", "0", "--index", index])
        let base = "http://127.0.0.1:\(try server.port())"

        // Search: the same object as `engram search --json`.
        let search = try HTTP.request(base + "/search?q=how%20do%20tides%20work&n=3&profile=serve-test")
        #expect(search.status == 200, "\(search.body)")
        let results = try #require(search.json?["results"] as? [[String: Any]])
        #expect(results.count == 3)
        #expect((results.first?["path"] as? String)?.hasSuffix("notes/tides.md") == true, "\(search.body)")
        #expect(results.first?["line_end"] as? Int != nil && results.first?["snippet"] as? String != nil)
        #expect((search.json?["memory"] as? [String: Any])?["profile"] as? String == "serve-test")
        let cli = try EngineSupport.run(["search", "how do tides work", "-n", "3", "--index", index, "--json", "--no-memory"])
        let cliJSON = try #require(try JSONSerialization.jsonObject(with: Data(cli.1.utf8)) as? [String: Any])
        #expect(Set(cliJSON.keys).subtracting(["memory"]) == Set(search.json!.keys).subtracting(["memory"]))
        #expect((cliJSON["results"] as? [[String: Any]])?.map { $0["path"] as? String } == results.map { $0["path"] as? String })

        #expect(try HTTP.request(base + "/search?q=tides&mode=fuzzy").status == 400)
        #expect(try HTTP.request(base + "/search?q=").status == 400)

        // Documents: indexed ones only, with line ranges and context.
        let tides = folder.appendingPathComponent("notes/tides.md").path
        let doc = try HTTP.request(base + "/documents?path=\(tides)&lines=2-3&context=1")
        #expect(doc.status == 200, "\(doc.body)")
        let lines = try String(contentsOfFile: tides, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(doc.json?["text"] as? String == lines[0...3].joined(separator: "\n"))
        #expect(doc.json?["line_start"] as? Int == 1 && doc.json?["line_end"] as? Int == 4)
        let outside = EngineSupport.temporaryFolder().appendingPathComponent("secret.md")
        try EngineSupport.write("# Secret\n", to: outside)
        #expect(try HTTP.request(base + "/documents?path=\(outside.path)").status == 404)
        #expect(try HTTP.request(base + "/documents?path=/etc/passwd").status == 404)

        // Status before and after an index call that runs while searches keep coming.
        let before = try HTTP.request(base + "/status")
        #expect(before.status == 200)
        let documentsBefore = try #require(before.json?["documents"] as? Int)
        let extra = EngineSupport.temporaryFolder().appendingPathComponent("extra")
        for i in 0..<200 {
            try EngineSupport.write("# Lunar note \(i)\n\nThe gravitational pull of the moon on the oceans, part \(i).\n",
                                    to: extra.appendingPathComponent("lunar\(i).md"))
        }
        try EngineSupport.write("# Zanzibar quokka\n\nA note about the zanzibar quokka festival.\n", to: extra.appendingPathComponent("quokka.md"))
        let indexReply = LockedBox<HTTPReply?>(nil)
        let indexing = Thread {
            indexReply.set(try? HTTP.request(base + "/index", method: "POST", body: "{\"paths\": [\"\(extra.path)\"]}"))
        }
        indexing.start()
        var searchesDuring = 0
        for _ in 0..<200 where indexReply.get() == nil {
            let r = try HTTP.request(base + "/search?q=moon%20tides&n=5&memory=false")
            #expect(r.status == 200, "\(r.body)")
            // Each answer is one consistent state: every result is a document with a path and a snippet.
            for hit in (r.json?["results"] as? [[String: Any]]) ?? [] {
                #expect(hit["path"] as? String != nil && hit["chunk"] as? String != nil)
            }
            searchesDuring += 1
        }
        let deadline = Date().addingTimeInterval(300)
        while indexReply.get() == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let indexed = try #require(indexReply.get())
        #expect(indexed.status == 200, "\(indexed.body)")
        #expect(indexed.json?["added"] as? Int == 201, "\(indexed.body)")
        #expect(searchesDuring > 1, "searches answered while indexing: \(searchesDuring)")
        let after = try HTTP.request(base + "/status")
        #expect(after.json?["documents"] as? Int == documentsBefore + 201)
        // The reader was reopened: the new document is found at once.
        let found = try HTTP.request(base + "/search?q=zanzibar%20quokka&n=1&mode=lexical&memory=false")
        #expect((found.json?["results"] as? [[String: Any]])?.first?["path"] as? String == extra.appendingPathComponent("quokka.md").path)
        // The writer lock was released: a command-line writer gets it at once.
        #expect(try EngineSupport.run(["index", extra.path, "--index", index, "--no-wait", "--quiet"]).0 == 0)

        // Another process's writes are seen too, once they are a few seconds old.
        try EngineSupport.write("# Okapi parade\n\nThe okapi parade of the quokka club.\n", to: extra.appendingPathComponent("okapi.md"))
        #expect(try EngineSupport.run(["index", extra.path, "--index", index, "--quiet"]).0 == 0)
        let okapi = extra.appendingPathComponent("okapi.md").path
        var seen = false
        for _ in 0..<100 where !seen {
            let r = try HTTP.request(base + "/search?q=okapi%20parade&n=1&mode=lexical&memory=false")
            seen = (r.json?["results"] as? [[String: Any]])?.first?["path"] as? String == okapi
            if !seen { Thread.sleep(forTimeInterval: 0.2) }
        }
        #expect(seen, "a document indexed by another process was not found within 20 s")

        #expect(try HTTP.request(base + "/index", method: "POST", body: "{\"folders\": 1}").status == 400)
        #expect(try HTTP.request(base + "/index", method: "POST", body: "{\"paths\": [\"/no/such/folder\"]}").status == 400)

        server.process.terminate()
        #expect(server.exitStatus(timeout: 30) == 0, "\(server.stderr)")
    }

    @Test func offLoopbackNeedsAToken() throws {
        let (_, index) = try indexedCorpus()
        // Refused without a token: any other address needs one.
        let refused = try EngineSupport.run(["serve", "--host", "0.0.0.0", "--port", "0", "--index", index])
        #expect(refused.0 == 64 && refused.2.contains("--token"), "\(refused)")

        let server = try ServerProcess(["serve", "--host", "0.0.0.0", "--port", "0", "--index", index, "--token", "s3cret"])
        let base = "http://127.0.0.1:\(try server.port())"
        #expect(try HTTP.request(base + "/status").status == 401)
        #expect(try HTTP.request(base + "/status", headers: ["Authorization: Bearer wrong"]).status == 401)
        #expect(try HTTP.request(base + "/search?q=tides", headers: ["Authorization: Bearer s3cret0"]).status == 401)
        let ok = try HTTP.request(base + "/status", headers: ["Authorization: Bearer s3cret"])
        #expect(ok.status == 200 && ok.json?["documents"] as? Int ?? 0 > 0, "\(ok.body)")
        server.process.terminate()
        #expect(server.exitStatus(timeout: 30) == 0, "\(server.stderr)")
    }

    @Test func sigtermFinishesTheRequestInProgress() throws {
        let (_, index) = try indexedCorpus()
        let server = try ServerProcess(["serve", "--port", "0", "--index", index])
        let base = "http://127.0.0.1:\(try server.port())"
        // A request that takes a while (indexing a folder not seen before), with SIGTERM sent while it runs.
        let extra = EngineSupport.temporaryFolder().appendingPathComponent("more")
        for i in 0..<200 { try EngineSupport.write("# Note \(i)\n\nSpring tides and neap tides, note \(i).\n", to: extra.appendingPathComponent("n\(i).md")) }
        let reply = LockedBox<HTTPReply?>(nil)
        let client = Thread { reply.set(try? HTTP.request(base + "/index", method: "POST", body: "{\"paths\": [\"\(extra.path)\"]}")) }
        client.start()
        // Bounded wait for the writer to open the index (its write-ahead log appears), then SIGTERM.
        let log = index + "-wal"
        for _ in 0..<1200 where !FileManager.default.fileExists(atPath: log) { Thread.sleep(forTimeInterval: 0.05) }
        let inFlight = reply.get() == nil
        server.process.terminate()
        #expect(inFlight, "the index request ended before SIGTERM was sent")
        #expect(server.exitStatus(timeout: 300) == 0, "\(server.stderr)")
        for _ in 0..<100 where reply.get() == nil { Thread.sleep(forTimeInterval: 0.1) }
        let answered = try #require(reply.get(), "the request in progress got no answer")
        #expect(answered.status == 200, "\(answered.body)")
        #expect(answered.json?["added"] as? Int == 200)
    }
}

/// A value shared between a test and a thread it starts.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
}
