import EngramEngine
import EngramText
import Foundation
import Testing

/// Text told by content, decoded whatever its encoding, compression or line endings.
@Suite struct ContentTests {
    let extractor = TextExtractor(maxDecompressedSize: 100_000)

    static func gzip(_ data: Data) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/gzip")
        p.arguments = ["-c", "-n"]
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        input.fileHandleForWriting.write(data)
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return out
    }

    @Test func filesNamedWithoutATypeAreReadWhenTheirContentIsText() throws {
        for name in ["README", "AUTHORS", "NEWS", "COPYING", "copyright", "changelog", "README.Debian", "notes.weird"] {
            #expect(FileKind(path: "/x/\(name)") == .unknown, "\(name)")
            let e = try extractor.extract(path: "/x/\(name)", data: Data("Some plain words about \(name).\n".utf8))
            #expect(e.type == .text && e.title == name && e.text == "Some plain words about \(name).\n")
        }
        #expect(FileKind(path: "/x/Makefile") == .known(.code))
        #expect(FileKind(path: "/x/photo.JPG") == .binary)
        #expect(FileKind(path: "/x/backup.tar.gz") == .binary)
        #expect(FileKind(path: "/x/NEWS.gz") == .unknown)
        #expect(FileKind(path: "/x/guide.md.gz") == .known(.markdown))
        // NUL bytes, or control characters in more than 1 % of the bytes, are binary.
        #expect(throws: ExtractionError.binary) { try extractor.extract(path: "/x/blob", data: Data([0x41, 0x00, 0x42])) }
        let controls = Data((0..<200).map { $0 % 20 == 0 ? 0x01 : 0x61 })
        #expect(throws: ExtractionError.binary) { try extractor.extract(path: "/x/blob", data: controls) }
        #expect(!TextDecoding.looksLikeText(controls) && TextDecoding.looksLikeText(Data("tab\there\u{1B}[0m\n".utf8)))
    }

    @Test func utf16AndUtf32WithAByteOrderMarkAreDecoded() throws {
        let text = "Tides — ☀ and 🌊 rise\ntwice a day\n"
        let encodings: [(String, [UInt8], String.Encoding)] = [
            ("utf-16le", [0xFF, 0xFE], .utf16LittleEndian), ("utf-16be", [0xFE, 0xFF], .utf16BigEndian),
            ("utf-32le", [0xFF, 0xFE, 0, 0], .utf32LittleEndian), ("utf-32be", [0, 0, 0xFE, 0xFF], .utf32BigEndian),
            ("utf-8", [0xEF, 0xBB, 0xBF], .utf8),
        ]
        for (name, bom, encoding) in encodings {
            let data = Data(bom) + text.data(using: encoding)!
            let e = try extractor.extract(path: "/x/tides.txt", data: data)
            #expect(e.text == text, "\(name)")
            #expect(e.warnings.isEmpty, "\(name)")
            // Without a name that says text, the mark alone says so.
            #expect(try extractor.extract(path: "/x/TIDES", data: data).text == text, "\(name)")
        }
        // Without a mark, UTF-16 is NUL-riddled bytes: binary, as before.
        #expect(throws: ExtractionError.binary) { try extractor.extract(path: "/x/a.txt", data: text.data(using: .utf16LittleEndian)!) }
    }

    @Test func anHTMLPageIsReadInItsDeclaredCharset() throws {
        func page(_ head: String, _ body: [UInt8]) -> Data {
            Data("<html><head>\(head)<title>T</title></head><body><p>".utf8) + Data(body) + Data("</p></body></html>".utf8)
        }
        let cafe: [UInt8] = [0x43, 0x61, 0x66, 0xE9, 0x20, 0x80, 0x35]  // "Café €5" in windows-1252
        let declared = [
            "<meta charset=\"iso-8859-1\">", "<meta charset=windows-1252>",
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">",
        ]
        for head in declared {
            let e = try extractor.extract(path: "/x/p.html", data: page(head, cafe))
            #expect(e.text == "Café €5", "\(head)")
            #expect(e.warnings.isEmpty, "\(head)")
        }
        // A UTF-8 page says so, or says nothing.
        let utf8 = Array("Café €5".utf8)
        #expect(try extractor.extract(path: "/x/p.html", data: page("<meta charset=\"utf-8\">", utf8)).text == "Café €5")
        #expect(try extractor.extract(path: "/x/p.html", data: page("", utf8)).text == "Café €5")
        // An undeclared page that is not UTF-8 is read as windows-1252, the web's default.
        #expect(try extractor.extract(path: "/x/p.html", data: page("", cafe)).text == "Café €5")
        // A page that claims UTF-8 and is not keeps replacement characters and says so.
        let lying = try extractor.extract(path: "/x/p.html", data: page("<meta charset=\"utf-8\">", cafe))
        #expect(lying.text.contains("\u{FFFD}") && !lying.warnings.isEmpty)
        // Other charsets through Foundation; one it cannot decode is read as UTF-8, with a warning.
        let cyrillic: [UInt8] = [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2]
        #expect(try extractor.extract(path: "/x/p.html", data: page("<meta charset=windows-1251>", cyrillic)).text == "Привет")
        let unknown = try extractor.extract(path: "/x/p.html", data: page("<meta charset=x-unheard-of>", utf8))
        #expect(unknown.text == "Café €5" && unknown.warnings.contains { $0.contains("x-unheard-of") })
        #expect(try extractor.extract(path: "/x/p.xhtml", data: Data("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><html><body>".utf8)
            + Data(cafe) + Data("</body></html>".utf8)).text == "Café €5")
    }

    @Test func gzipTextIsReadByItsInnerNameUnderTheSizeLimit() throws {
        let news = try Self.gzip(Data("Version 2\n\nTides are now searchable.\n".utf8))
        let e = try extractor.extract(path: "/x/NEWS.gz", data: news)
        #expect(e.text == "Version 2\n\nTides are now searchable.\n" && e.type == .text && e.title == "NEWS")
        let md = try extractor.extract(path: "/x/guide.md.gz", data: try Self.gzip(Data("# Guide\n\nRead me.\n".utf8)))
        #expect(md.type == .markdown && md.title == "Guide")
        // Concatenated members read as one stream, as gzip -d does.
        let two = try Self.gzip(Data("first part\n".utf8)) + Self.gzip(Data("second part\n".utf8))
        #expect(try extractor.extract(path: "/x/changelog.Debian.gz", data: two).text == "first part\nsecond part\n")
        // A bomb stops at the limit instead of filling memory.
        let bomb = try Self.gzip(Data(repeating: 0x61, count: 5_000_000))
        #expect(bomb.count < 10_000)
        #expect(throws: GzipError.tooLarge(limit: 100_000)) { try Gzip.decompress(bomb, limit: 100_000) }
        #expect(throws: ExtractionError.tooLarge(GzipError.tooLarge(limit: 100_000).description)) {
            try extractor.extract(path: "/x/bomb.txt.gz", data: bomb)
        }
        // Damaged or cut short: skipped as broken, never a crash.
        let truncated = #expect(throws: ExtractionError.self) { try extractor.extract(path: "/x/NEWS.gz", data: news.prefix(news.count - 6)) }
        #expect(truncated?.skipReason == .broken)
        let notGzip = #expect(throws: ExtractionError.self) { try extractor.extract(path: "/x/NEWS.gz", data: Data("not gzip at all".utf8)) }
        #expect(notGzip?.skipReason == .broken)
        // Binary content inside is binary.
        #expect(throws: ExtractionError.binary) { try extractor.extract(path: "/x/data.gz", data: try Self.gzip(Data([1, 0, 2, 0]))) }
    }

    @Test func crlfAndLoneCRGiveTheSameChunksAndLinesAsLF() throws {
        var lf = "# Tides\n\n"
        for section in 0..<5 {
            lf += "## Section \(section)\n\n"
            for p in 0..<3 {
                lf += (0..<4).map { "Section \(section) paragraph \(p) sentence \($0) has nine words in it." }.joined(separator: "\n") + "\n\n"
            }
        }
        let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
        let cr = lf.replacingOccurrences(of: "\n", with: "\r")
        #expect(crlf.split(separator: "\n").count == 1, "\"\\r\\n\" is one Character: splitting on \\n finds no line")
        let chunker = Chunker(maxTokens: 80, overlap: 0.15, countTokens: { $0.split(whereSeparator: \.isWhitespace).count })
        let reference = chunker.chunks(lf)
        #expect(reference.count > 5)
        #expect(reference.last!.lineEnd == lf.split(separator: "\n", omittingEmptySubsequences: false).count - 2)
        for (name, text) in [("CRLF", crlf), ("CR", cr)] {
            let e = try extractor.extract(path: "/x/tides.md", data: Data(text.utf8))
            #expect(e.title == "Tides", "\(name)")
            #expect(e.text == lf, "\(name)")
            #expect(chunker.chunks(e.text) == reference, "\(name) through the extractor")
            // The chunker alone also counts each kind of line break once.
            #expect(chunker.chunks(text) == reference, "\(name) straight to the chunker")
        }
        #expect(TextDecoding.normalizingLineEndings("a\r\n\r\nb\rc\n\rd") == "a\n\nb\nc\n\nd")
    }

    @Test func htmlMarkupIsDroppedAsBrowsersDo() throws {
        func text(_ html: String) throws -> String { try extractor.extract(path: "/x/p.html", data: Data(html.utf8)).text }
        // </head> may be left out; </header> does not close <head>.
        #expect(try text("<html><head><title>T</title><body><header>Top</header><p>Body</p>") == "Top\n\nBody")
        #expect(try text("<head><meta charset=utf-8></head><header>Top</header>") == "Top")
        // A lone "<" is text, "<d" starts a tag; an unclosed comment or script hides the rest.
        #expect(try text("<p>a < b and c<d</p>") == "a < b and c")
        #expect(try text("<p>seen</p><!-- hidden <p>too") == "seen")
        #expect(try text("<p>seen</p><SCRIPT type=x>var a = '</p>';</Script ><p>after</p>") == "seen\n\nafter")
        #expect(try text("<p>seen</p><style>p { }") == "seen")
        #expect(try extractor.extract(path: "/x/p.html", data: Data("<TITLE>Caps &amp; all</TITLE>".utf8)).title == "Caps & all")
    }

    /// Pages made to trip quadratic scans: each must extract in well under the limit.
    @Test(.timeLimit(.minutes(1))) func hostilePagesExtractInLinearTime() throws {
        let big = TextExtractor(maxDecompressedSize: 10_000_000)
        for (unit, count) in [("<script>a", 300_000), ("<a", 1_000_000), ("<head>x", 300_000), ("<!-- a", 300_000), ("<title>t", 300_000)] {
            let page = "<p>first</p>" + String(repeating: unit, count: count)
            let e = try big.extract(path: "/x/p.html", data: Data(page.utf8))
            #expect(e.text.hasPrefix("first"), "\(unit)")
        }
    }

    /// A paragraph of many sentences: line numbers are counted as the scan goes, not from the start each time.
    @Test(.timeLimit(.minutes(1))) func aParagraphOfManySentencesChunksInLinearTime() {
        let lines = (0..<40_000).map { "Sentence \($0) ends here." }
        let chunker = Chunker(maxTokens: 200, overlap: 0.15, countTokens: { $0.split(whereSeparator: \.isWhitespace).count })
        let chunks = chunker.chunks(lines.joined(separator: "\n"))
        #expect(chunks.first?.lineStart == 1 && chunks.last?.lineEnd == 40_000)
        // Each chunk starts on the line of its first sentence.
        for c in chunks {
            let first = Int(c.text.split(separator: " ")[1])!
            #expect(c.lineStart == first + 1)
        }
    }

    @Test func aSnippetOfAPassageWithoutSpacesIsCapped() {
        let blob = String(repeating: "é", count: 500_000)  // a megabyte of UTF-8 without whitespace
        let s = Snippet(chunk: blob, query: "tides")
        #expect(s.text.count == 301 && s.text.hasSuffix("…"))
        #expect(s.text.dropLast().allSatisfy { $0 == "é" })
        // Ordinary text is untouched by the cap.
        let words = (0..<10).map { "word\($0)" }.joined(separator: " ")
        #expect(Snippet(chunk: words, query: "word3").text == words)
        // A long run after ordinary words is cut where the budget ends, the matching word kept.
        let mixed = "tides rise " + String(repeating: "x", count: 5_000)
        let m = Snippet(chunk: mixed, query: "tides")
        #expect(m.text.count == 301 && m.text.hasPrefix("tides rise x"))
        #expect(m.pieces.first { $0.highlighted }?.text == "tides")
    }
}
