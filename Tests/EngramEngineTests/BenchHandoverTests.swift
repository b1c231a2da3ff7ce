import Foundation
import Testing

/// `engram bench scale|concurrent --store postgresql://…` is measured by engram-pg; the other benches stay here.
@Suite struct BenchHandoverTests {
    @Test func storeBenchesGoToEngramPG() throws {
        let pg = try StoreHandoverTests.fakeEngramPG()
        for bench in ["scale", "concurrent"] {
            let (status, out, _) = try EngineSupport.run(["bench", bench, "--store", "postgresql://u@127.0.0.1:1/db"], environment: ["ENGRAM_PG": pg])
            #expect(status == 0 && out == "engram-pg bench \(bench) --store postgresql://u@127.0.0.1:1/db\n")
        }
        let (s2, out2, _) = try EngineSupport.run(["bench", "embed", "--help"],
                                                  environment: ["ENGRAM_PG": pg, "ENGRAM_STORE": "postgresql://u@127.0.0.1:1/db"])
        #expect(s2 == 0 && !out2.contains("engram-pg"))
        // A SQLite path is not a store to hand over: one line, exit 64.
        let (s3, out3, err3) = try EngineSupport.run(["bench", "concurrent", "--store", "index.sqlite"], environment: ["ENGRAM_PG": pg])
        #expect(s3 == 64 && out3.isEmpty && err3.contains("--store: index.sqlite is not a postgresql:// URL"))
    }
}
