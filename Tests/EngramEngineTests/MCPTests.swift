import Foundation
import Testing

/// `engram mcp` driven by the reference MCP client (PyPI `mcp`, installed by scripts/setup.sh into
/// .build-venv): lists the tools and calls each one.
@Suite struct MCPTests {
    static let python = EngineSupport.root.appendingPathComponent(".build-venv/bin/python").path
    static let script = EngineSupport.root.appendingPathComponent("Tests/Clients/mcp_client.py").path

    /// True when the venv has the client; scripts/setup.sh installs it (`make test` runs setup first).
    static let clientInstalled: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", "import mcp"]
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    @Test(.enabled(if: clientInstalled, "the Python MCP client is not installed (run scripts/setup.sh): skipped"))
    func referenceClientCallsEveryTool() throws {
        let folder = try EngineSupport.copyOfFixtures()
        let index = EngineSupport.temporaryFolder().appendingPathComponent("mcp.sqlite").path
        let document = folder.appendingPathComponent("notes/tides.md").path
        let outside = EngineSupport.temporaryFolder().appendingPathComponent("outside.md")
        try EngineSupport.write("# Outside\n\nNot indexed.\n", to: outside)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = [Self.script, EngineSupport.engram, "--index=\(index)", folder.path, document, outside.path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(errors)")
        let r = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any], "\(errors)")
        func call(_ name: String) -> [String: Any] { r[name] as? [String: Any] ?? [:] }
        func json(_ name: String) -> [String: Any] { call(name)["json"] as? [String: Any] ?? [:] }

        #expect(r["server"] as? String == "engram")
        #expect(r["tools"] as? [String] == ["get", "index", "search", "status"])
        // No index yet: status says so as a tool error, and indexing creates it.
        #expect(call("status_before")["error"] as? Bool == true)
        #expect((call("status_before")["text"] as? String)?.contains("no index") == true)
        #expect(call("index")["error"] as? Bool == false, "\(call("index"))")
        let added = json("index")["added"] as? Int ?? 0
        #expect(added > 5)
        #expect(json("status_after")["documents"] as? Int == added)

        // Search sees what the index call wrote (the reader was reopened), with lines, title, scores and snippet.
        let results = json("search")["results"] as? [[String: Any]] ?? []
        #expect(results.count == 3)
        let top = results.first ?? [:]
        #expect(top["path"] as? String == document)
        #expect(top["line"] as? Int != nil && top["line_end"] as? Int != nil && top["title"] as? String == "How tides work")
        #expect((top["scores"] as? [String: Any])?["semantic"] as? Double != nil && top["snippet"] as? String != nil)
        // What memory did comes only on request; the first search was remembered under the server's profile.
        #expect(json("search")["memory"] == nil)
        let memory = json("search_filtered")["memory"] as? [String: Any] ?? [:]
        #expect(memory["profile"] as? String == "mcp-test")
        #expect((memory["entries"] as? [[String: Any]])?.contains { $0["text"] as? String == "how do tides work" } == true, "\(memory)")
        // Filters apply: only Python files.
        let filtered = json("search_filtered")["results"] as? [[String: Any]] ?? []
        #expect(!filtered.isEmpty && filtered.allSatisfy { ($0["path"] as? String)?.hasSuffix(".py") == true }, "\(call("search_filtered"))")

        // get: lines 2-3 with one line of context is lines 1-4; a file that is not indexed is refused.
        let lines = try String(contentsOfFile: document, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(json("get")["text"] as? String == lines[0...3].joined(separator: "\n"))
        #expect(json("get")["line_start"] as? Int == 1 && json("get")["line_end"] as? Int == 4)
        #expect(call("get_outside")["error"] as? Bool == true)
        #expect((call("get_outside")["text"] as? String)?.contains("not an indexed document") == true)
        #expect(call("search_empty")["error"] as? Bool == true)
    }
}
