import EngramStore
import Foundation
import Testing

/// The `engram` binary end to end: JSON shapes, errors, and crash safety under kill -9.
@Suite(.serialized) struct CLITests {
    @Test func searchJSONHasTheDocumentedShape() throws {
        let index = EngineSupport.temporaryFolder().appendingPathComponent("demo.sqlite").path
        let (status, _, err) = try EngineSupport.run(["index", EngineSupport.fixtures.path, "--index", index, "--quiet"])
        #expect(status == 0, "\(err)")
        let (s2, out, err2) = try EngineSupport.run(["search", "why does the sea rise and fall", "--index", index, "--json", "-n", "3"])
        #expect(s2 == 0, "\(err2)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(object["query"] as? String == "why does the sea rise and fall")
        #expect(object["mode"] as? String == "hybrid")
        #expect(object["timings_ms"] is [String: Any])
        let results = try #require(object["results"] as? [[String: Any]])
        #expect(results.count == 3)
        let first = try #require(results.first)
        for key in ["rank", "path", "line", "score", "scores", "title", "snippet", "chunk"] {
            #expect(first[key] != nil, "missing \(key)")
        }
        let scores = try #require(first["scores"] as? [String: Any])
        #expect(scores["semantic"] is Double && scores["lexical"] is Double)
        #expect((first["path"] as? String)?.hasSuffix("notes/tides.md") == true)
        #expect(first["rank"] as? Int == 1)

        let (s3, statusOut, _) = try EngineSupport.run(["status", "--index", index, "--json"])
        #expect(s3 == 0)
        let st = try #require(try JSONSerialization.jsonObject(with: Data(statusOut.utf8)) as? [String: Any])
        #expect(st["documents"] as? Int == 9)

        // Punctuation and FTS syntax in a query never error: results, or none (exit 1, as grep).
        for q in ["\"unbalanced", "NEAR(a b)", "*", "tides AND OR NOT", "c++ -- ' ; DROP TABLE"] {
            let (s, o, e) = try EngineSupport.run(["search", q, "--index", index, "--mode", "lexical"])
            #expect(s == 0 || (s == 1 && o.hasPrefix("no results") && e.isEmpty), "\(q): \(e)")
            let (sf, of, ef) = try EngineSupport.run(["search", q, "--index", index, "--mode", "lexical", "--lexical", "fts5"])
            #expect(sf == 0 || (sf == 1 && of.hasPrefix("no results") && ef.isEmpty), "\(q) (fts5): \(ef)")
        }
    }

    @Test func badIndexesGiveOneLineAndNonZeroExit() throws {
        let notIndex = EngineSupport.temporaryFolder().appendingPathComponent("x.sqlite")
        try Data("not a database".utf8).write(to: notIndex)
        let (s, _, err) = try EngineSupport.run(["search", "tides", "--index", notIndex.path])
        #expect(s != 0)
        #expect(err.contains("not an Engram index") && err.contains(notIndex.path))
        #expect(err.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1)
        let (s2, _, err2) = try EngineSupport.run(["search", "tides", "--index", "/nonexistent/none.sqlite"])
        #expect(s2 != 0 && err2.contains("/nonexistent/none.sqlite"))
    }

    @Test func killDuringIndexingThenResumeGivesAConsistentIndex() throws {
        // Enough files that indexing takes a few seconds.
        let folder = EngineSupport.temporaryFolder().appendingPathComponent("many")
        let fixtures = try FileManager.default.contentsOfDirectory(atPath: EngineSupport.fixtures.appendingPathComponent("notes").path)
        var total = 0
        for i in 0..<60 {
            for name in fixtures {
                let text = try String(contentsOf: EngineSupport.fixtures.appendingPathComponent("notes/\(name)"), encoding: .utf8)
                try EngineSupport.write(text + "\n\nCopy number \(i) of \(name), with its own closing words.\n",
                                        to: folder.appendingPathComponent("set\(i)/\(name)"))
                total += 1
            }
        }
        let index = EngineSupport.temporaryFolder().appendingPathComponent("crash.sqlite").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: EngineSupport.engram)
        p.arguments = ["index", folder.path, "--index", index, "--quiet"]
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        // Wait until at least one batch has been committed, then kill -9.
        let deadline = Date().addingTimeInterval(60)
        var committed: Int64 = 0
        while Date() < deadline && p.isRunning {
            Thread.sleep(forTimeInterval: 0.2)
            if let db = try? Database(path: index, readOnly: true),
               let n = try? db.scalarInt("SELECT count(*) FROM documents"), n > 0 {
                committed = n
                break
            }
        }
        #expect(p.isRunning, "indexing finished before it could be killed; make the corpus larger")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(committed > 0 && committed < total)

        // The killed index opens, passes integrity checks and serves what was committed.
        let store = try IndexStore(path: index, access: .read)
        #expect(try EngineSupport.checkConsistency(store).isEmpty)
        let (s1, out1, _) = try EngineSupport.run(["search", "sourdough starter", "--index", index, "--json", "-n", "1"])
        #expect(s1 == 0 && out1.contains("\"results\""))

        // The next run finishes the job: every file exactly once.
        let (s2, _, err2) = try EngineSupport.run(["index", folder.path, "--index", index, "--quiet", "--json"])
        #expect(s2 == 0, "\(err2)")
        let resumed = try IndexStore(path: index, access: .read)
        #expect(try resumed.documents().count == total)
        #expect(try EngineSupport.checkConsistency(resumed).isEmpty)
    }

    @Test func helpTeachesTheIndexRule() throws {
        let (s, out, _) = try EngineSupport.run(["search", "--help"])
        #expect(s == 0)
        #expect(out.contains("ENGRAM_INDEX") && out.contains("Examples"))
    }
}
