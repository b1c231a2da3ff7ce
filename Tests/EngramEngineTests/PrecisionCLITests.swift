import EngramEmbedding
import Foundation
import Testing

/// `--precision` on the command line, and the precision an index records.
@Suite(.serialized) struct PrecisionCLITests {
    func indexAndStatus(_ extra: [String], environment: [String: String] = [:]) throws -> (precision: String?, stderr: String) {
        let index = EngineSupport.temporaryFolder().appendingPathComponent("p.sqlite").path
        let env = ["ENGRAM_PRECISION": ""].merging(environment) { _, new in new }
        let (s, _, err) = try EngineSupport.run(["index", EngineSupport.fixtures.path, "--index", index, "--quiet"] + extra,
                                                environment: env)
        #expect(s == 0, "\(err)")
        let (s2, out, err2) = try EngineSupport.run(["status", "--index", index, "--json"])
        #expect(s2 == 0, "\(err2)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
        return (object["precision"] as? String, err)
    }

    @Test func anIndexRecordsThePrecisionItWasBuiltWith() throws {
        #expect(try indexAndStatus(["--precision", "fp32"]).precision == "fp32")
        let auto = try indexAndStatus([])
        #expect(auto.precision == (CPUFeatures.detect().bf16 ? "bf16" : "fp32"))
        #expect(try indexAndStatus([], environment: ["ENGRAM_PRECISION": "fp32"]).precision == "fp32")
    }

    @Test("a search (its query is embedded in fp32) never loads oneDNN; a bf16 run does")
    func oneDNNIsLoadedOnlyForBF16() throws {
        let index = EngineSupport.temporaryFolder().appendingPathComponent("d.sqlite").path
        let (s, _, err) = try EngineSupport.run(["index", EngineSupport.fixtures.path, "--index", index, "--quiet", "--precision", "fp32"])
        #expect(s == 0, "\(err)")
        // glibc's loader names every library it maps.
        let (s2, _, loaded) = try EngineSupport.run(["search", "tides", "--index", index, "--no-memory"], environment: ["LD_DEBUG": "files"])
        #expect(s2 == 0)
        #expect(loaded.contains("libsqlite3"))
        #expect(!loaded.contains("libdnnl"))
        if CPUFeatures.detect().bf16 {
            let (s3, _, bf16) = try EngineSupport.run(["embed", "--precision", "bf16", "tides"], environment: ["LD_DEBUG": "files"])
            #expect(s3 == 0)
            #expect(bf16.contains("libdnnl"))
        }
    }

    @Test func forcedFallbackIndexesInFP32AndSaysSo() throws {
        let forced = try indexAndStatus(["--precision", "bf16"], environment: ["ENGRAM_FORCE_FP32": "1"])
        #expect(forced.precision == "fp32")
        #expect(forced.stderr.contains("running fp32"))
    }

    @Test func embedRejectsAnUnknownPrecision() throws {
        let (s, _, err) = try EngineSupport.run(["embed", "--precision", "fp8", "tides"])
        #expect(s != 0)
        #expect(err.contains("--precision"))
    }
}
