import Foundation
import Testing

/// `serve` and `mcp` on a PostgreSQL store, and a read replica's URL, are engram-pg's too.
@Suite struct StoreHandoverServeTests {
    @Test func serveAndMCPGoToEngramPG() throws {
        let pg = try StoreHandoverTests.fakeEngramPG()
        let (s1, out1, _) = try EngineSupport.run(["serve", "--store", "postgresql://u@127.0.0.1:1/db", "--port", "0"], environment: ["ENGRAM_PG": pg])
        #expect(s1 == 0 && out1 == "engram-pg serve --store postgresql://u@127.0.0.1:1/db --port 0\n")
        let (s2, out2, _) = try EngineSupport.run(["mcp", "--profile", "a"], environment: ["ENGRAM_PG": pg, "ENGRAM_STORE": "postgresql://u@127.0.0.1:1/db"])
        #expect(s2 == 0 && out2 == "engram-pg mcp --profile a\n")
    }

    @Test func readStoreGoesToEngramPG() throws {
        let pg = try StoreHandoverTests.fakeEngramPG()
        let (status, out, _) = try EngineSupport.run(["search", "tides", "--read-store=postgresql://u@127.0.0.1:2/db"], environment: ["ENGRAM_PG": pg])
        #expect(status == 0 && out == "engram-pg search tides --read-store=postgresql://u@127.0.0.1:2/db\n")
    }
}
