import EngramEmbedding
import EngramStore
import Foundation
import Testing

/// What a daily user reaches for: paths only, JSON lines, context lines, grep's exit status, the line
/// of the best match, a folder to search in, opening a result of a search that was not remembered.
@Suite(.serialized) struct DailyUseTests {
    static let prepared: Result<(index: String, home: [String: String]), Error> = Result {
        let folder = EngineSupport.temporaryFolder()
        let index = folder.appendingPathComponent("daily.sqlite").path
        let (s, _, e) = try EngineSupport.run(["index", EngineSupport.fixtures.path, "--index", index, "--quiet"])
        guard s == 0 else { throw DailyError.failed(e) }
        let home = folder.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        return (index, ["ENGRAM_HOME": home.path, "ENGRAM_MODEL": ModelStore.resolve(nil).path])
    }

    enum DailyError: Error { case failed(String) }

    func run(_ args: [String]) throws -> (Int32, String, String) {
        let (index, home) = try Self.prepared.get()
        return try EngineSupport.run(args + ["--index", index], environment: home)
    }

    @Test func pathsJSONLinesAndGrepsExitStatus() throws {
        let (s1, out1, _) = try run(["search", "tides", "-l", "-n", "3", "--no-memory"])
        let lines = out1.split(separator: "\n")
        #expect(s1 == 0 && lines.count == 3 && lines.allSatisfy { $0.hasPrefix("/") && !$0.contains(" ") })
        let (s2, out2, _) = try run(["search", "tides", "--jsonl", "-n", "2", "--no-memory"])
        let objects = try out2.split(separator: "\n").map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(s2 == 0 && objects.count == 2 && objects.map { $0["rank"] as? Int } == [1, 2])
        #expect(objects.first?["path"] as? String == String(lines[0]))
        let (s3, out3, _) = try run(["search", "zzqqxx", "--mode", "lexical", "--no-memory"])
        #expect(s3 == 1 && out3.contains("no results"))
        let (s4, out4, _) = try EngineSupport.run(["--version"])
        #expect(s4 == 0 && out4.split(separator: ".").count == 3)
    }

    @Test func theLineIsTheBestMatchAndContextSurroundsIt() throws {
        let file = EngineSupport.fixtures.appendingPathComponent("notes/tides.md")
        let text = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let heading = try #require(text.firstIndex { $0.contains("Spring and neap tides") }) + 1
        #expect(heading > 1, "the fixture's heading is not on its first line")
        let (s, out, _) = try run(["search", "spring and neap tides", "--json", "-n", "1", "--no-memory", "--mode", "lexical"])
        let result = try #require((try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])?["results"] as? [[String: Any]])
        #expect(s == 0 && (result.first?["path"] as? String)?.hasSuffix("tides.md") == true)
        #expect(result.first?["line"] as? Int == heading)
        let (_, shown, _) = try run(["search", "spring and neap tides", "-n", "1", "-C", "1", "--no-memory", "--mode", "lexical"])
        #expect(shown.contains(String(format: ">%5d  ", heading) + text[heading - 1]), "\(shown)")
        #expect(shown.contains(String(format: " %5d  ", heading - 1)) && shown.contains(String(format: " %5d  ", heading + 1)))
    }

    @Test func severalPassagesPerFileBestFirst() throws {
        let (s, out, err) = try run(["search", "spring and neap tides", "--json", "-n", "2", "--per-file", "3", "--no-memory"])
        #expect(s == 0, "\(err)")
        let results = try #require((try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])?["results"] as? [[String: Any]])
        let first = try #require(results.first)
        let passages = try #require(first["passages"] as? [[String: Any]])
        // tides.md has more passages than its best one; each comes once, scored no higher than the document.
        #expect((first["path"] as? String)?.hasSuffix("tides.md") == true && !passages.isEmpty && passages.count <= 2)
        let lines = [first["line"] as? Int] + passages.map { $0["line"] as? Int }
        #expect(Set(lines.compactMap { $0 }).count == lines.count, "\(lines)")
        let scores = passages.compactMap { $0["score"] as? Double }
        #expect(scores.allSatisfy { $0 <= (first["score"] as? Double ?? 0) + 1e-9 } && scores == scores.sorted(by: >))
        // Without --per-file the JSON has no passages key at all.
        let (_, plain, _) = try run(["search", "spring and neap tides", "--json", "-n", "1", "--no-memory"])
        #expect(!plain.contains("\"passages\""))
        let (s2, _, err2) = try run(["search", "tides", "--per-file", "0", "--no-memory"])
        #expect(s2 == 64 && err2.contains("--per-file"))
    }

    @Test func aFolderArgumentRestrictsTheSearchAndAnUnknownTypeIsRefused() throws {
        let notes = EngineSupport.fixtures.appendingPathComponent("notes").path
        let (s, out, _) = try run(["search", "tides", notes, "-l", "--no-memory"])
        let paths = out.split(separator: "\n")
        #expect(s == 0 && !paths.isEmpty && paths.allSatisfy { $0.hasPrefix(notes + "/") }, "\(out)")
        let (s2, _, err2) = try run(["search", "tides", "--type", "zzz", "--no-memory"])
        #expect(s2 == 64 && err2.contains("zzz") && err2.contains("markdown") && err2.contains("md"), "\(err2)")
    }

    @Test func aResultOfASearchThatWasNotRememberedCanBeOpened() throws {
        let (_, out, _) = try run(["search", "sourdough starter", "-l", "-n", "1", "--no-memory", "--profile", "nm"])
        let (s, opened, err) = try run(["open", "1", "--profile", "nm"])
        #expect(s == 0 && opened.hasPrefix(out.trimmingCharacters(in: .whitespacesAndNewlines) + ":"), "\(opened) \(err)")
        let (_, args, _) = try run(["open", "1", "--profile", "nm", "--editor-args"])
        #expect(args.hasPrefix("+") && args.hasSuffix("sourdough.md\n"))
        let (_, shown, _) = try run(["memory", "show", "--profile", "nm", "--json"])
        let memory = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])
        #expect(memory["searches"] as? Int == 0 && (memory["entries"] as? [Any])?.isEmpty == true, "nothing remembered")
    }
}

/// The folders an index was built from: listed by status, re-indexed by `engram index` alone,
/// forgotten by `engram remove`; `check --compact` gives removed documents' space back.
@Suite(.serialized) struct IndexRootsTests {
    @Test func indexWithNoArgumentBringsTheKnownFoldersUpToDate() throws {
        let docs = try EngineSupport.copyOfFixtures()
        let index = docs.deletingLastPathComponent().appendingPathComponent("roots.sqlite").path
        let notes = docs.appendingPathComponent("notes").path, code = docs.appendingPathComponent("code").path
        #expect(try EngineSupport.run(["index", notes, code, "--index", index, "--quiet"]).0 == 0)
        func roots() throws -> [String] {
            let (_, out, _) = try EngineSupport.run(["status", "--index", index, "--json"])
            return try #require((try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])?["roots"] as? [String])
        }
        #expect(try roots() == [code, notes])

        try EngineSupport.write("# Lighthouses\n\nA lighthouse marks a rocky coast.\n", to: docs.appendingPathComponent("notes/lighthouse.md"))
        let (s, out, err) = try EngineSupport.run(["index", "--index", index])
        #expect(s == 0 && out.hasPrefix("added 1,"), "\(out) \(err)")

        // A folder holding known roots takes their place.
        #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0)
        #expect(try roots() == [docs.path])
        let before = try FileManager.default.attributesOfItem(atPath: index)[.size] as? Int ?? 0
        #expect(try EngineSupport.run(["remove", docs.path, "--index", index]).0 == 0)
        #expect(try roots().isEmpty)
        let (s2, _, err2) = try EngineSupport.run(["index", "--index", index])
        #expect(s2 == 64 && err2.contains("engram index FOLDER"), "\(err2)")
        #expect(try EngineSupport.run(["check", "--compact", "--index", index]).0 == 0)
        let after = try FileManager.default.attributesOfItem(atPath: index)[.size] as? Int ?? 0
        #expect(after < before, "compacted from \(before) to \(after) bytes (removing alone frees no space)")
    }

    @Test func anIndexInsideTheFolderItIndexesLeavesItsOwnFilesOut() throws {
        let docs = try EngineSupport.copyOfFixtures()
        let index = docs.appendingPathComponent("Indexes/default.sqlite").path
        for _ in 0..<2 {
            let (s, out, err) = try EngineSupport.run(["index", docs.path, "--index", index, "--json"])
            #expect(s == 0, "\(err)")
            #expect(!err.contains("default.sqlite"), "\(err)")
            _ = out
        }
        let store = try IndexStore(path: index, access: .read)
        let paths = try store.documents().map(\.path)
        #expect(paths.count == 9 && !paths.contains { $0.contains("default.sqlite") }, "\(paths)")
    }
}
