import EngramEmbedding
import EngramPostgres
import Foundation
import Testing

/// engram-pg end to end (a scenario of the PostgreSQL contract run): index, search in a folder, status,
/// remove, each through the binary, and one-line errors with their exit codes.
enum EngramPGCommand {
    static let binary = TestServer.root.appendingPathComponent("Postgres/.build/release/engram-pg").path

    /// Memory goes to a home of the suite's own, never the user's; the model stays the user's.
    static let home: [String: String] = [
        "ENGRAM_HOME": Fixtures.temporaryFolder().path, "ENGRAM_MODEL": ModelStore.resolve(nil).path,
    ]

    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(home) { _, new in new }.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    static func scenario() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "engram-pg is built by swift build --build-tests")
        let url = try await TestServer.freshDatabase()
        let folder = try Fixtures.corpusFolder()
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent()) }

        let (s0, _, e0) = try run(["search", "tides", "--store", url])
        #expect(s0 == 1 && e0.contains("holds no Engram index yet"))
        let (s1, o1, _) = try run(["index", folder.path, "--store", url])
        #expect(s1 == 0)
        #expect(o1.hasPrefix("added \(Fixtures.corpus.count), updated 0, unchanged 0, moved 0, removed 0"))
        // ENGRAM_STORE names the store when --store does not.
        let (s2, o2, _) = try run(["search", "sea level moon", "-l", "-n", "1"], environment: ["ENGRAM_STORE": url])
        #expect(s2 == 0 && o2 == folder.appendingPathComponent("tides.md").path + "\n")
        let (s3, o3, _) = try run(["search", "travel budget", folder.appendingPathComponent("notes").path, "--json", "--store", url])
        #expect(s3 == 0)
        let results = try JSONSerialization.jsonObject(with: Data(o3.utf8)) as? [String: Any]
        let paths = (results?["results"] as? [[String: Any]])?.compactMap { $0["path"] as? String } ?? []
        #expect(paths.first == folder.appendingPathComponent("notes/budget.txt").path)
        #expect(paths.allSatisfy { $0.hasPrefix(folder.appendingPathComponent("notes").path + "/") })
        let (s4, o4, _) = try run(["status", "--json", "--store", url])
        let status = try JSONSerialization.jsonObject(with: Data(o4.utf8)) as? [String: Any]
        #expect(s4 == 0 && status?["documents"] as? Int == Fixtures.corpus.count && status?["schema_version"] as? Int == PostgresStore.schemaVersion)
        let (s5, o5, _) = try run(["remove", folder.appendingPathComponent("code").path, "--store", url])
        #expect(s5 == 0 && o5 == "removed 1 document under \(folder.appendingPathComponent("code").path)\n")
        let (s6, _, _) = try run(["search", "quicksort pivot", "--mode", "lexical", "--store", url])
        #expect(s6 == 1)  // nothing matches: exit 1, as grep
        let (s7, _, e7) = try run(["search", "x", "--store", "postgresql://postgres@127.0.0.1:1/none"])
        #expect(s7 == 1 && e7 == "engram-pg: cannot connect to postgresql://postgres@127.0.0.1:1/none: connection refused (is the server running?)\n")
        let (s8, _, e8) = try run(["search", "x", "-n", "0", "--store", url])
        #expect(s8 == 64 && e8.contains("-n: 0"))
        try memory(url, folder: folder)
        await TestServer.dropDatabase(url)
    }

    /// Memory through the binary, in the words `engram` uses on SQLite: a remembered search re-ranks the
    /// next, `--explain` says so, `open` and `memory show` and `report` read the same memory.
    static func memory(_ url: String, folder: URL) throws {
        let (s0, _, _) = try run(["memory", "clear", "--store", url])
        #expect(s0 == 0)
        let (s1, _, _) = try run(["search", MemoryContract.earlier, "--store", url])
        #expect(s1 == 0)
        let (s2, o2, _) = try run(["search", MemoryContract.followUp, "--explain", "--store", url])
        #expect(s2 == 0)
        #expect(o2.contains("memory: base ") && o2.contains("memory: 1 of 1 entries in effect (profile default)"), "\(o2)")
        #expect(o2.contains("\"\(MemoryContract.earlier)\": in effect: on topic"), "\(o2)")
        let (s3, o3, _) = try run(["search", MemoryContract.followUp, "--json", "--profile", "other", "--store", url])
        let json = try JSONSerialization.jsonObject(with: Data(o3.utf8)) as? [String: Any]
        let memory = json?["memory"] as? [String: Any]
        #expect(s3 == 0 && memory?["profile"] as? String == "other" && (memory?["entries"] as? [Any])?.isEmpty == true)
        let (s4, o4, _) = try run(["open", "1", "--editor-args", "--store", url])
        #expect(s4 == 0 && o4.hasPrefix("+") && o4.hasSuffix(".md\n"))
        let (s5, o5, _) = try run(["memory", "show", "--json", "--store", url])
        let shown = try JSONSerialization.jsonObject(with: Data(o5.utf8)) as? [String: Any]
        #expect(s5 == 0 && shown?["searches"] as? Int == 2 && (shown?["entries"] as? [Any])?.count == 3)
        let (s6, o6, _) = try run(["report", "--format", "json", "--store", url])
        let report = try JSONSerialization.jsonObject(with: Data(o6.utf8)) as? [String: Any]
        let display = try PostgresLocation(url: url).display
        #expect(s6 == 0 && (report?["queries"] as? [Any])?.count == 2 && report?["index"] as? String == display)
        let (s9, o9, _) = try run(["memory", "export", "--store", url])
        let exported = try JSONSerialization.jsonObject(with: Data(o9.utf8)) as? [String: Any]
        let vectors = (exported?["entries"] as? [[String: Any]])?.compactMap { ($0["vector"] as? [Any])?.count }
        #expect(s9 == 0 && vectors == [384, 384, 384])
        let (s7, _, e7) = try run(["search", "x", "--no-memory", "--explain", "--store", url])
        #expect(s7 == 64 && e7.contains("--explain"))
        let (s8, o8, _) = try run(["memory", "clear", "--store", url])
        #expect(s8 == 0 && o8 == "forgot 3 entries of profile default\n")
    }
}
