import Foundation
import Testing

/// `engram serve` and `engram mcp` run in engram-server, so that engram itself loads no network stack.
@Suite struct ServerHandoverTests {
    @Test("a search loads neither FoundationNetworking (libcurl) nor SwiftNIO; serve's own help comes through")
    func searchLoadsNoNetworkStack() throws {
        let index = EngineSupport.temporaryFolder().appendingPathComponent("n.sqlite").path
        let (s, _, err) = try EngineSupport.run(["index", EngineSupport.fixtures.path, "--index", index, "--quiet"])
        #expect(s == 0, "\(err)")
        // glibc's loader names every library it maps.
        let (s2, _, loaded) = try EngineSupport.run(["search", "tides", "--index", index, "--no-memory"], environment: ["LD_DEBUG": "files"])
        #expect(s2 == 0)
        #expect(loaded.contains("libsqlite3"))
        for library in ["libFoundationNetworking", "libcurl", "libgnutls"] { #expect(!loaded.contains(library), "\(library)") }

        let (s3, help, _) = try EngineSupport.run(["serve", "--help"])
        #expect(s3 == 0 && help.contains("--token") && help.contains("GET  /search"))
        let (s4, listed, _) = try EngineSupport.run(["--help"])
        #expect(s4 == 0 && listed.contains("serve") && listed.contains("mcp"))
    }

    @Test("without engram-server beside it, serve says what is missing in one line")
    func missingServer() throws {
        let folder = EngineSupport.temporaryFolder()
        let alone = folder.appendingPathComponent("engram").path
        try FileManager.default.copyItem(atPath: EngineSupport.engram, toPath: alone)
        let (status, out, err) = try EngineSupport.run(["serve", "--port", "0"], environment: ["PATH": "/usr/bin:/bin"], binary: alone)
        #expect(status == 1 && out.isEmpty)
        #expect(err == "engram: serve and mcp run in engram-server, which is not beside engram nor on the PATH: make build\n")
    }
}
