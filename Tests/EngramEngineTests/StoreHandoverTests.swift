import Foundation
import Testing

/// `--store postgresql://…` and `ENGRAM_STORE` hand the command line to engram-pg (built apart, in Postgres/).
@Suite struct StoreHandoverTests {
    /// A stand-in engram-pg that prints the arguments it was given.
    static func fakeEngramPG() throws -> String {
        let folder = EngineSupport.temporaryFolder()
        let path = folder.appendingPathComponent("engram-pg").path
        try EngineSupport.write("#!/bin/sh\necho \"engram-pg $*\"\n", to: URL(fileURLWithPath: path))
        _ = chmod(path, 0o755)
        return path
    }

    @Test func storeURLGoesToEngramPG() throws {
        let pg = try Self.fakeEngramPG()
        let (status, out, _) = try EngineSupport.run(["search", "tides", "--store", "postgresql://u@127.0.0.1:1/db", "-n", "3"],
                                                     environment: ["ENGRAM_PG": pg])
        #expect(status == 0)
        #expect(out == "engram-pg search tides --store postgresql://u@127.0.0.1:1/db -n 3\n")
    }

    @Test func environmentStoreUnlessAnIndexIsNamed() throws {
        let pg = try Self.fakeEngramPG()
        let env = ["ENGRAM_PG": pg, "ENGRAM_STORE": "postgresql://u@127.0.0.1:1/db"]
        let (status, out, _) = try EngineSupport.run(["status"], environment: env)
        #expect(status == 0 && out == "engram-pg status\n")
        // --index names a SQLite file: that wins over ENGRAM_STORE.
        let missing = EngineSupport.temporaryFolder().appendingPathComponent("none.sqlite").path
        let (s2, out2, err2) = try EngineSupport.run(["status", "--index", missing], environment: env)
        #expect(s2 != 0 && out2.isEmpty && err2.contains(missing))
        // Other commands, and SQLite paths in ENGRAM_STORE, stay here.
        let (s3, out3, _) = try EngineSupport.run(["model", "--help"], environment: env)
        #expect(s3 == 0 && !out3.contains("engram-pg"))
    }

    /// Memory and reports follow the store: `open`, `memory` and `report` hand over too.
    @Test func memoryCommandsGoToEngramPG() throws {
        let pg = try Self.fakeEngramPG()
        let env = ["ENGRAM_PG": pg, "ENGRAM_STORE": "postgresql://u@127.0.0.1:1/db"]
        for arguments in [["open", "2", "--editor-args"], ["memory", "show", "--profile", "work"], ["report", "tides", "--format", "md"]] {
            let (status, out, _) = try EngineSupport.run(arguments, environment: env)
            #expect(status == 0 && out == "engram-pg \(arguments.joined(separator: " "))\n", "\(arguments)")
        }
    }

    @Test func missingEngramPGIsOneLine() throws {
        let (status, out, err) = try EngineSupport.run(["index", "/tmp", "--store", "postgresql://u@127.0.0.1:1/db"],
                                                       environment: ["ENGRAM_PG": "/nonexistent/engram-pg"])
        #expect(status == 1 && out.isEmpty)
        #expect(err == "engram: a postgresql:// store needs engram-pg, which is built apart: make pg (docs/postgres.md)\n")
    }
}
