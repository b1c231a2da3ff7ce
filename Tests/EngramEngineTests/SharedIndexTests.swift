import EngramEmbedding
import EngramStore
import Foundation
import Testing

/// One writer and many readers: concurrent indexers, searches that never write the index, memory kept
/// per user, and a user who may only read the index.
@Suite(.serialized) struct SharedIndexTests {
    /// A folder of fixture notes, copied enough times that an indexing run lasts a few seconds.
    func corpus(copies: Int) throws -> URL {
        let folder = EngineSupport.temporaryFolder().appendingPathComponent("corpus")
        let notes = EngineSupport.fixtures.appendingPathComponent("notes")
        for name in try FileManager.default.contentsOfDirectory(atPath: notes.path) {
            let text = try String(contentsOf: notes.appendingPathComponent(name), encoding: .utf8)
            for i in 0..<copies {
                try EngineSupport.write(text + "\n\nCopy \(i) of \(name).\n", to: folder.appendingPathComponent("set\(i)/\(name)"))
            }
        }
        return folder
    }

    /// Starts `engram index` on `folder` twice at once; returns both exit statuses and standard errors.
    func indexTwiceAtOnce(_ folder: URL, into index: String) throws -> [(Int32, String)] {
        let processes = (0..<2).map { _ -> (Process, Pipe) in
            let p = Process(), err = Pipe()
            p.executableURL = URL(fileURLWithPath: EngineSupport.engram)
            p.arguments = ["index", folder.path, "--index", index]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = err
            return (p, err)
        }
        for (p, _) in processes { try p.run() }
        return processes.map { p, err in
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, text)
        }
    }

    func content(_ index: String) throws -> [String] {
        let store = try IndexStore(path: index, access: .read)
        let problems = try store.invariantProblems()
        #expect(problems.isEmpty, "\(problems)")
        // Paths differ between the two indexes' folders only by the folder itself.
        return try store.contentSummary()
    }

    @Test func twoIndexersOnOneFolderEndEqualToOneCleanRun() throws {
        let folder = try corpus(copies: 12)
        let shared = EngineSupport.temporaryFolder().appendingPathComponent("shared.sqlite").path
        let runs = try indexTwiceAtOnce(folder, into: shared)
        for (status, err) in runs { #expect(status == 0, "\(err)") }
        #expect(runs.contains { $0.1.contains("waiting for another engram index on \(shared)") }, "the second run waits for the first")
        let clean = EngineSupport.temporaryFolder().appendingPathComponent("clean.sqlite").path
        #expect(try EngineSupport.run(["index", folder.path, "--index", clean, "--quiet"]).0 == 0)
        #expect(try content(shared) == content(clean))

        // Edits, a deletion and a new file; then two runs at once again.
        let first = folder.appendingPathComponent("set0/tides.md")
        try EngineSupport.write("# Tides, revised\n\nThe Moon and the Sun raise the tides; this note was rewritten.\n", to: first)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("set1/sourdough.md"))
        try EngineSupport.write("# A new note\n\nAbout lighthouses on rocky coasts.\n", to: folder.appendingPathComponent("set2/new.md"))
        for (status, err) in try indexTwiceAtOnce(folder, into: shared) { #expect(status == 0, "\(err)") }
        let clean2 = EngineSupport.temporaryFolder().appendingPathComponent("clean2.sqlite").path
        #expect(try EngineSupport.run(["index", folder.path, "--index", clean2, "--quiet"]).0 == 0)
        #expect(try content(shared) == content(clean2))
    }

    @Test func aSecondWriterWaitsOrFailsAtOnceWithNoWait() throws {
        let folder = try corpus(copies: 1)
        let index = EngineSupport.temporaryFolder().appendingPathComponent("locked.sqlite").path
        #expect(try EngineSupport.run(["index", folder.path, "--index", index, "--quiet"]).0 == 0)
        var lock: WriterLock? = try WriterLock(index: index, wait: .fail)
        let (s, _, err) = try EngineSupport.run(["index", folder.path, "--index", index, "--no-wait"])
        #expect(s == 1)
        let lines = err.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n")
        #expect(lines.count == 1 && err.contains(index) && err.contains("pid \(getpid())"), "\(err)")
        // Searching goes on while the writer holds the lock.
        let (s2, out2, err2) = try EngineSupport.run(["search", "tides", "--index", index, "--no-memory", "--json"])
        #expect(s2 == 0 && out2.contains("\"results\""), "\(err2)")

        // Without --no-wait, the writer says whom it waits for and goes on once the lock is free.
        let p = Process(), errPipe = Pipe()
        p.executableURL = URL(fileURLWithPath: EngineSupport.engram)
        p.arguments = ["remove", folder.appendingPathComponent("set0").path, "--index", index]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = errPipe
        try p.run()
        Thread.sleep(forTimeInterval: 1)
        #expect(p.isRunning)
        lock = nil
        p.waitUntilExit()
        let waited = String(decoding: errPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(p.terminationStatus == 0)
        #expect(waited.contains("waiting for another engram index on \(index) (pid \(getpid()))"), "\(waited)")
        _ = lock
    }

    /// The model and memory folder a search needs, in a fresh ENGRAM_HOME.
    func home() throws -> [String: String] {
        let home = EngineSupport.temporaryFolder().appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        return ["ENGRAM_HOME": home.path, "ENGRAM_MODEL": ModelStore.resolve(nil).path]
    }

    @Test func searchesNeverWriteTheIndexAndConcurrentSearchesLoseNoCount() throws {
        let folder = try corpus(copies: 1)
        let index = EngineSupport.temporaryFolder().appendingPathComponent("ro.sqlite").path
        #expect(try EngineSupport.run(["index", folder.path, "--index", index, "--quiet"]).0 == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: index))
        let segment = try Data(contentsOf: URL(fileURLWithPath: index + ".segment"))
        let env = try home()

        let queries = ["tides and the moon", "sourdough starter", "git rebase", "exponential backoff"]
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for i in 0..<10 {
                let r = try? EngineSupport.run(["search", queries[(worker + i) % 4], "--index", index, "--profile", "c", "-n", "3"],
                                               environment: env)
                #expect(r?.0 == 0, "\(r?.2 ?? "did not run")")
            }
        }
        let (s, out, err) = try EngineSupport.run(["memory", "show", "--index", index, "--profile", "c", "--json"], environment: env)
        #expect(s == 0, "\(err)")
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(shown["searches"] as? Int == 40)
        #expect((shown["entries"] as? [Any])?.count == 32)  // the capacity: the rest were evicted

        // The index holds no memory: not one byte of it changed, and no journal was left beside it.
        #expect(try Data(contentsOf: URL(fileURLWithPath: index)) == before)
        let left = try FileManager.default.contentsOfDirectory(atPath: (index as NSString).deletingLastPathComponent).sorted()
        #expect(left == ["ro.sqlite", "ro.sqlite.lock", "ro.sqlite.segment"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: index + ".segment")) == segment)
    }

    @Test func aFilteredExplanationRanksLikeTheFilteredSearchWithoutMemory() throws {
        let index = EngineSupport.temporaryFolder().appendingPathComponent("filtered.sqlite").path
        #expect(try EngineSupport.run(["index", EngineSupport.fixtures.path, "--index", index, "--quiet"]).0 == 0)
        let env = try home()
        _ = try EngineSupport.run(["search", "how the moon's gravity raises two tidal bulges", "--index", index, "--profile", "f",
                                   "--at", "2026-01-05T10:00:00Z"], environment: env)
        func json(_ args: [String]) throws -> [String: Any] {
            let (s, out, err) = try EngineSupport.run(["search", "gravity of the moon", "--index", index, "--type", "md", "--json", "-n", "5"] + args,
                                                      environment: env)
            #expect(s == 0, "\(err)")
            return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        }
        let with = try json(["--profile", "f", "--at", "2026-01-05T10:01:00Z", "--explain", "--incognito"])
        let without = try json(["--no-memory"])
        func paths(_ o: [String: Any]) -> [String] { ((o["results"] as? [[String: Any]]) ?? []).compactMap { $0["path"] as? String } }
        let withPaths = paths(with), withoutPaths = paths(without)
        #expect(withPaths.allSatisfy { $0.hasSuffix(".md") } && !withPaths.isEmpty)
        let results = try #require((with["memory"] as? [String: Any])?["results"] as? [[String: Any]])
        let active = ((with["memory"] as? [String: Any])?["entries"] as? [[String: Any]])?.filter { $0["active"] as? Bool == true }
        #expect(active?.count == 1, "the remembered search is on topic, so memory takes part")
        for (i, r) in results.enumerated() {
            let baseRank = try #require(r["base_rank"] as? Int)
            #expect(baseRank <= withoutPaths.count && withoutPaths[baseRank - 1] == withPaths[i], "result \(i + 1) claims base rank \(baseRank)")
        }
    }

    @Test func memoryKeptInsideAnOldIndexMovesToTheUsersStoreOnce() throws {
        let index = EngineSupport.temporaryFolder().appendingPathComponent("old.sqlite").path
        #expect(try EngineSupport.run(["index", EngineSupport.fixtures.path, "--index", index, "--quiet"]).0 == 0)
        // Turn it back into a schema-2 index, whose memory lived inside it.
        let db = try Database(path: index)
        try db.execute("""
            CREATE TABLE memory_entries(id INTEGER PRIMARY KEY, profile TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL,
                vector BLOB NOT NULL, at REAL NOT NULL, sequence INTEGER NOT NULL, path TEXT);
            CREATE TABLE memory_profiles(profile TEXT PRIMARY KEY, searches INTEGER NOT NULL, last_query TEXT, last_results TEXT);
            DELETE FROM meta WHERE key = 'id';
            PRAGMA user_version = 2;
            """)
        let vector = try SentenceEncoder(folder: ModelStore.resolve(nil)).encode("tides and the moon")
        try db.run("INSERT INTO memory_entries(profile, kind, text, vector, at, sequence) VALUES ('default', 'query', 'tides and the moon', ?, ?, 0)",
                   [.blob(vector.withUnsafeBytes { Data($0) }), .double(Date().timeIntervalSince1970 - 60)])
        try db.run("INSERT INTO memory_profiles(profile, searches) VALUES ('default', 1)")
        let env = try home()
        let (s, _, err) = try EngineSupport.run(["search", "spring tides", "--index", index, "--json"], environment: env)
        #expect(s == 0)
        #expect(err.contains("moved 1 memory entry"), "\(err)")
        let (_, _, err2) = try EngineSupport.run(["search", "neap tides", "--index", index, "--json"], environment: env)
        #expect(!err2.contains("moved"), "said once")
        // The next writer drops the old tables; the memory stays the user's, under the index's new id.
        #expect(try EngineSupport.run(["index", EngineSupport.fixtures.path, "--index", index, "--quiet"], environment: env).0 == 0)
        #expect(try IndexStore(path: index, access: .read).legacyMemory().isEmpty)
        let (_, out, _) = try EngineSupport.run(["memory", "show", "--index", index, "--json"], environment: env)
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        #expect(shown["searches"] as? Int == 3)
        #expect(((shown["entries"] as? [[String: Any]]) ?? []).compactMap { $0["text"] as? String }
                == ["neap tides", "spring tides", "tides and the moon"])
    }
}
