import EngramReports
import Foundation
import Testing

/// `engram report` end to end: every format from a scripted session over a fixture index with a
/// hostile title, the HTML rendered in headless Chromium, the JSON validated against its schema,
/// the CSV parsed back and compared with the JSON.
@Suite(.serialized) struct ReportTests {
    static let hostileTitle = "<script>alert('x')</script> & \"tides\""

    /// A fixture index with a document whose title is markup, and a short session in profile "r".
    static let prepared: Result<(index: String, folder: URL), Error> = Result {
        let docs = try EngineSupport.copyOfFixtures()
        try EngineSupport.write("# \(hostileTitle)\n\nHigh tide and low tide alternate twice a day as the Moon pulls the oceans.\n",
                                to: docs.appendingPathComponent("notes/hostile.md"))
        let index = docs.deletingLastPathComponent().appendingPathComponent("report.sqlite").path
        let (s, _, e) = try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"])
        guard s == 0 else { throw ReportTestError.failed("index: \(e)") }
        let session = [("how the moon pulls the oceans into two tidal bulges", "2026-01-05T10:00:00Z"),
                       ("spring tides and neap tides", "2026-01-05T10:01:00Z"),
                       ("the moon and the tides", "2026-01-05T10:02:00Z")]
        for (q, at) in session {
            let (s2, _, e2) = try EngineSupport.run(["search", q, "--index", index, "--profile", "r", "--at", at])
            guard s2 == 0 else { throw ReportTestError.failed("search: \(e2)") }
        }
        return (index, docs.deletingLastPathComponent())
    }

    enum ReportTestError: Error { case failed(String) }

    func report(_ format: String) throws -> (path: String, text: String) {
        let (index, folder) = try Self.prepared.get()
        let out = folder.appendingPathComponent("report.\(format)").path
        let (s, _, e) = try EngineSupport.run(["report", "--index", index, "--profile", "r", "--at", "2026-01-05T10:03:00Z",
                                               "-n", "5", "--format", format, "-o", out])
        #expect(s == 0, "\(e)")
        return (out, try String(contentsOfFile: out, encoding: .utf8))
    }

    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(try report("json").text.utf8)) as? [String: Any])
    }

    @Test func reportingRecordsNothing() throws {
        let (index, _) = try Self.prepared.get()
        let before = try EngineSupport.run(["memory", "show", "--index", index, "--profile", "r", "--json"]).1
        _ = try report("md")
        let after = try EngineSupport.run(["memory", "show", "--index", index, "--profile", "r", "--json"]).1
        // Ages differ between the two calls; the entries and the search count do not.
        func ids(_ s: String) throws -> [Int] {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])
            return ((o["entries"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? Int } + [o["searches"] as? Int ?? -1]
        }
        #expect(try ids(before) == ids(after))
    }

    @Test func jsonMatchesItsSchemaAndTheSessionMovedResults() throws {
        let (path, _) = try report("json")
        let schema = EngineSupport.root.appendingPathComponent("docs/report.schema.json").path
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", "-c", """
            import json, sys, jsonschema
            jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))
            """, path, schema]
        let err = Pipe()
        check.standardError = err
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0, "\(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")

        let object = try json()
        let queries = try #require(object["queries"] as? [[String: Any]])
        #expect(queries.count == 3)  // the profile's three searches, replayed
        let last = try #require(queries.last)
        #expect(last["query"] as? String == "the moon and the tides")
        #expect(((last["entries"] as? [Any]) ?? []).count >= 1, "memory should be in effect for the follow-up")
        #expect(last["changed"] as? Bool == true, "memory reorders the follow-up's results")
        let first = try #require(queries.first)
        #expect(first["changed"] as? Bool == false && ((first["entries"] as? [Any]) ?? []).isEmpty, "the first search has no memory to use")
        for q in queries {
            for r in (q["results"] as? [[String: Any]]) ?? [] {
                let parts = (r["semantic"] as! Double) + (r["lexical"] as! Double) + (r["memory"] as! Double)
                #expect(abs(parts - (r["score"] as! Double)) < 1e-9, "score parts must add up to the score")
            }
        }
    }

    @Test func csvParsesBackToTheJSON() throws {
        let csv = try report("csv").text
        let rows = Self.parseCSV(csv)
        #expect(rows.first == ["query", "rank", "base_rank", "delta", "new_to_top", "path", "line", "title", "score", "semantic", "lexical", "memory"])
        let object = try json()
        var expected: [[String]] = []
        for q in (object["queries"] as? [[String: Any]]) ?? [] {
            for r in (q["results"] as? [[String: Any]]) ?? [] {
                expected.append([q["query"] as! String, "\(r["rank"] as! Int)", (r["path"] as! String), r["title"] as! String])
            }
        }
        let got = rows.dropFirst().map { [$0[0], $0[1], $0[5], $0[7]] }
        #expect(Array(got) == expected)
        #expect(rows.dropFirst().allSatisfy { $0.count == 12 })
        #expect(csv.contains("\"" + Self.hostileTitle.replacingOccurrences(of: "\"", with: "\"\"") + "\""))
    }

    @Test func markdownEscapesTablesAndMarkup() throws {
        let md = try report("md").text
        #expect(md.contains("| # | Δ | document |"))
        #expect(!md.contains("<script>"))
        #expect(md.contains("&lt;script&gt;"))
    }

    @Test func htmlRendersInHeadlessChromium() throws {
        let (path, html) = try report("html")
        #expect(!html.contains("<script"), "the page must carry no script, and the hostile title must be escaped")
        #expect(!html.contains("http://") || html.contains("http://www.w3.org/2000/svg"))
        let chromium = try #require(["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                    "chromium is not installed (make setup installs it)")
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars"]
        let dom = try Self.run(chromium, flags + ["--dump-dom", "file://\(path)"])
        // The queries memory changed are shown in full; the others share one line.
        let queries = try #require(try json()["queries"] as? [[String: Any]])
        let changed = queries.filter { $0["changed"] as? Bool == true }
        #expect(!changed.isEmpty && changed.count < queries.count, "the session changes some queries and not the first")
        #expect(dom.components(separatedBy: "<tr class=\"result\"").count - 1 == 5 * changed.count, "5 results per changed query")
        #expect(dom.contains("class=\"bars\"") && dom.contains("class=\"slope\"") && dom.contains("class=\"decay\""))
        #expect(dom.components(separatedBy: "<svg").count - 1 == 1 + 2 * changed.count)  // decay + (bars, slope) per changed query
        for q in queries where q["changed"] as? Bool == false {
            #expect(dom.contains("Memory changed nothing for") && dom.contains(HTMLReport.esc(q["query"] as? String ?? "?")))
        }
        // Every colour drawn has its legend entry.
        for label in ["semantic", "lexical", "memory", "lowered by memory", "moved up", "moved down", "same rank",
                      "time decay alone", "an entry in effect"] {
            #expect(dom.contains(">\(label)"), "legend: \(label)")
        }
        #expect(dom.contains("&lt;script&gt;alert('x')&lt;/script&gt;"))
        #expect(!dom.contains("<script>alert"))

        let png = URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent("report.png").path
        _ = try Self.run(chromium, flags + ["--window-size=1200,1600", "--screenshot=\(png)", "file://\(path)"])
        let colours = try Self.run("/usr/bin/env", ["python3", "-c", Self.pngColours, png])
        let distinct = Int(colours.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(distinct > 20, "the screenshot should not be blank (\(distinct) distinct colours)")
    }

    /// Counts distinct RGB colours of a PNG with the standard library only.
    static let pngColours = """
        import struct, sys, zlib
        d = open(sys.argv[1], 'rb').read()
        assert d[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
        pos, idat, w, h, ct = 8, b'', 0, 0, 0
        while pos < len(d):
            n, t = struct.unpack('>I4s', d[pos:pos+8]); body = d[pos+8:pos+8+n]; pos += 12 + n
            if t == b'IHDR': w, h, bd, ct = struct.unpack('>IIBB', body[:10])
            if t == b'IDAT': idat += body
        bpp = {2: 3, 6: 4}[ct]; raw = zlib.decompress(idat); stride = w * bpp
        prev = bytearray(stride); out = set(); i = 0
        for y in range(h):
            f = raw[i]; line = bytearray(raw[i+1:i+1+stride]); i += 1 + stride
            for x in range(stride):
                a = line[x-bpp] if x >= bpp else 0; b = prev[x]; c = prev[x-bpp] if x >= bpp else 0
                if f == 1: line[x] = (line[x] + a) & 255
                elif f == 2: line[x] = (line[x] + b) & 255
                elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p-a), abs(p-b), abs(p-c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            if y % 4 == 0:
                for x in range(0, stride, bpp * 4): out.add(bytes(line[x:x+3]))
            prev = line
        print(len(out))
        """

    static func run(_ tool: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks; records end in CRLF.
    static func parseCSV(_ s: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var quoted = false
        var chars = Array(s)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\r\n" || c == "\n" {
                row.append(field); rows.append(row); row = []; field = ""
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
