import EngramText
import Foundation
import Testing

/// Inputs that once failed a fuzz target (`make fuzz`), kept in fixtures/fuzz/<target>/ and replayed
/// here with that target's checks, so a fixed failure stays fixed.
@Suite struct FuzzRegressionTests {
    static func inputs(_ target: String) throws -> [Data] {
        let folder = EngineSupport.root.appendingPathComponent("fixtures/fuzz/\(target)")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            .map { try Data(contentsOf: folder.appendingPathComponent($0)) }
    }

    /// The names Fuzz/Sources/FuzzExtractor picks from an input's first byte (the same list, in the same order).
    static let extractorNames = ["page.html", "page.xhtml", "notes.md", "notes.txt", "README", "NEWS.gz", "guide.md.gz",
                                 "data.json", "notes.org"]

    @Test func extractorInputsGiveTextWithLFLineEndings() throws {
        let inputs = try Self.inputs("FuzzExtractor")
        #expect(!inputs.isEmpty)
        let extractor = TextExtractor(maxDecompressedSize: 1 << 20)
        for input in inputs {
            let name = Self.extractorNames[Int(input[input.startIndex]) % Self.extractorNames.count]
            guard let e = try? extractor.extract(path: "/fuzz/\(name)", data: input.dropFirst()) else { continue }
            #expect(!e.text.utf8.contains(0x0D) && !e.title.isEmpty, "\(name)")
        }
    }

    /// The smallest form of the first failure: entities that spell carriage returns.
    @Test func entitiesThatSpellLineBreaksBreakLines() throws {
        let page = "<title>A&#13;B</title><p>a&#13;&#10;b&#xD;c&#X+d;d</p>"
        let e = try TextExtractor().extract(path: "/x/p.html", data: Data(page.utf8))
        #expect(e.text == "a\nb\nc\nd")
        #expect(e.title == "A B")
    }
}
