import EngramStore
import Foundation
import Testing

/// Bad flag values, hostile text on the terminal and in CSV, report files that cannot be written,
/// damaged indexes: each gets one clear line, and nothing indexed is lost.
@Suite(.serialized) struct CLIInputTests {
    static let prepared: Result<(index: String, docs: URL), Error> = Result {
        let docs = try EngineSupport.copyOfFixtures()
        try EngineSupport.write("# Tides \u{1B}]0;pwned\u{07} and \u{1B}[2Jclear screens\n\nHigh tide comes twice a day as the Moon pulls the oceans.\n",
                                to: docs.appendingPathComponent("notes/escape.md"))
        try EngineSupport.write("# =cmd|' /C calc'!A0\n\nSpring tides follow the new and the full moon.\n",
                                to: docs.appendingPathComponent("notes/formula.md"))
        try EngineSupport.write("# Odd name\n\nNeap tides come at the quarter moons.\n", to: docs.appendingPathComponent("notes/bad\nname.md"))
        let index = docs.deletingLastPathComponent().appendingPathComponent("input.sqlite").path
        let (s, _, e) = try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"])
        guard s == 0 else { throw CLIInputError.failed(e) }
        return (index, docs)
    }

    enum CLIInputError: Error { case failed(String) }

    @Test func badFlagValuesGetOneLineNamingTheFlagAndAUsageExit() throws {
        let (index, _) = try Self.prepared.get()
        let cases: [([String], String)] = [
            (["--alpha", "2"], "--alpha"), (["--alpha", "nan"], "--alpha"), (["--k1", "nan"], "--k1"), (["--b=-1"], "--b"),
            (["--beta", "inf"], "--beta"), (["--tau", "7"], "--tau"), (["--at", "T25:61"], "--at"), (["--at", "2026-01-05junk"], "--at"),
            (["--since", "2026-13-45"], "--since"), (["--half-life=-1d"], "--half-life"), (["--half-life", "nanm"], "--half-life"),
            (["-n", "0"], "-n"), (["--index", ""], "--index"), (["--path", ""], "--path"),
            (["--reference-share", "0.5"], "--reference-share"), (["--open-reference-share=-0.1"], "--open-reference-share"),
        ]
        for (extra, flag) in cases {
            let args = ["search", "tides", "--no-memory"] + (extra.first == "--index" ? extra : ["--index", index] + extra)
            let (s, out, err) = try EngineSupport.run(args)
            let lines = err.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n")
            #expect(s == 64, "\(extra): exit \(s)")
            #expect(lines.count == 1 && lines[0].contains(flag), "\(extra): \(err)")
            #expect(out.isEmpty)
        }
        for query in ["   ", "\t\n"] {
            let (s, _, err) = try EngineSupport.run(["search", query, "--index", index])
            #expect(s == 64 && err.contains("query is empty"), "\(err)")
        }
        // Nothing was recorded by the refused searches.
        let (_, shown, _) = try EngineSupport.run(["memory", "show", "--index", index, "--json"])
        #expect(shown.contains("\"searches\" : 0"))
    }

    @Test func controlCharactersFromDocumentsAndUsersNeverReachTheTerminal() throws {
        let (index, _) = try Self.prepared.get()
        let (s, out, _) = try EngineSupport.run(["search", "tides \u{1B}[31m", "--index", index, "--explain", "-n", "9", "--profile", "esc"])
        #expect(s == 0)
        #expect(!out.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "no control character but line ends")
        #expect(out.contains("\\u{1B}]0;pwned\\u{7}"))
        #expect(out.contains("bad\\nname.md:"), "a newline in a file name is shown escaped")
        let (_, shown, _) = try EngineSupport.run(["memory", "show", "--index", index, "--profile", "esc"])
        #expect(!shown.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(shown.contains("tides \\u{1B}[31m"))
    }

    @Test func csvCellsThatLookLikeFormulasAreNeutralised() throws {
        let (index, docs) = try Self.prepared.get()
        let out = docs.deletingLastPathComponent().appendingPathComponent("ranks.csv").path
        let (s, _, err) = try EngineSupport.run(["report", "=HYPERLINK(\"http://example.com\",\"x\") tides", "--index", index,
                                                 "--format", "csv", "-o", out, "-n", "9"])
        #expect(s == 0, "\(err)")
        let rows = ReportTests.parseCSV(try String(contentsOfFile: out, encoding: .utf8)).dropFirst()
        #expect(!rows.isEmpty)
        for row in rows {
            for cell in [row[0], row[5], row[7]] {
                #expect(!["=", "+", "-", "@", "\t", "\r"].contains(cell.first.map(String.init) ?? ""), "\(cell)")
            }
        }
        #expect(rows.contains { $0[7] == "'=cmd|' /C calc'!A0" })
        #expect(rows.allSatisfy { $0[0] == "'=HYPERLINK(\"http://example.com\",\"x\") tides" })
    }

    @Test func reportWriteErrorsAreOneLineAndLeaveNoFile() throws {
        let (index, docs) = try Self.prepared.get()
        let folder = docs.deletingLastPathComponent().appendingPathComponent("a-folder")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for target in [folder.path, "/nonexistent/report.html"] {
            let (s, _, err) = try EngineSupport.run(["report", "tides", "--index", index, "-o", target])
            let lines = err.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n")
            #expect(s == 1 && lines.count == 1 && err.contains(target) && !err.contains("Usage"), "\(err)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func checkFindsDamageSearchSkipsItAndRepairMendsIt() throws {
        let docs = try EngineSupport.copyOfFixtures()
        let index = docs.deletingLastPathComponent().appendingPathComponent("damaged.sqlite").path
        #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0)
        let (s0, out0, _) = try EngineSupport.run(["check", "--index", index])
        #expect(s0 == 0 && out0.contains("ok"))

        // One vector of the wrong size, one with a NaN.
        let db = try Database(path: index)
        let first = try #require(try db.scalarInt("SELECT chunk_id FROM vectors ORDER BY chunk_id LIMIT 1"))
        let second = try #require(try db.scalarInt("SELECT chunk_id FROM vectors ORDER BY chunk_id LIMIT 1 OFFSET 1"))
        let ids = [first, second]
        try db.run("UPDATE vectors SET vector = ? WHERE chunk_id = ?", [.blob(Data([1, 2, 3])), .int(ids[0])])
        var nan = [Float](repeating: 0.05, count: 384)
        nan[7] = .nan
        try db.run("UPDATE vectors SET vector = ? WHERE chunk_id = ?", [.blob(nan.withUnsafeBytes { Data($0) }), .int(ids[1])])

        let (s1, out1, _) = try EngineSupport.run(["check", "--index", index, "--json"])
        #expect(s1 == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(out1.utf8)) as? [String: Any])
        let problems = try #require(report["problems"] as? [[String: Any]])
        #expect(problems.count == 1 && (problems.first?["detail"] as? String)?.contains("2 chunk vectors") == true, "\(problems)")

        // Search goes on without the two chunks, with one warning, and its scores stay numbers.
        let (s2, out2, err2) = try EngineSupport.run(["search", "sourdough starter", "--index", index, "--no-memory", "--json"])
        #expect(s2 == 0 && err2.contains("2 damaged vectors") && err2.contains("engram check --repair"), "\(err2)")
        #expect(!out2.contains("nan") && out2.contains("sourdough.md"))

        let (s3, out3, err3) = try EngineSupport.run(["check", "--repair", "--index", index])
        #expect(s3 == 0 && out3.contains("re-embedded 2 chunks"), "\(out3) \(err3)")
        let (s4, _, err4) = try EngineSupport.run(["search", "sourdough starter", "--index", index, "--no-memory"])
        #expect(s4 == 0 && err4.isEmpty, "\(err4)")
    }

    @Test func openingAResultWhoseDocumentLeftSaysSo() throws {
        let docs = try EngineSupport.copyOfFixtures()
        let index = docs.deletingLastPathComponent().appendingPathComponent("gone.sqlite").path
        #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0)
        let (_, out, _) = try EngineSupport.run(["search", "sourdough starter", "--index", index, "-n", "1", "--profile", "g"])
        #expect(out.contains("sourdough.md"))
        #expect(try EngineSupport.run(["remove", docs.appendingPathComponent("notes/sourdough.md").path, "--index", index]).0 == 0)
        let (s, _, err) = try EngineSupport.run(["open", "1", "--index", index, "--profile", "g"])
        #expect(s == 1 && err.contains("has left the index") && !err.contains("corrupt"), "\(err)")
    }
}
