import EngramEmbedding
import EngramEngine
import EngramStore
import EngramText
import Foundation
import Testing

/// Indexing real folders: bad input, incremental updates, counts of what is embedded.
@Suite(.serialized) struct IndexingTests {
    func makeIndexer() throws -> (Indexer, IndexStore) {
        let store = try IndexStore(path: EngineSupport.temporaryFolder().appendingPathComponent("t.sqlite").path,
                                   access: .write(create: true, wait: .fail))
        return (try Indexer(store: store, encoder: try EngineSupport.encoder.get()), store)
    }

    /// The fixture corpus plus one file for every kind of bad input.
    func hostileFolder() throws -> URL {
        let folder = try EngineSupport.copyOfFixtures()
        let fm = FileManager.default
        try Data([0x68, 0x69, 0x00, 0x01, 0x02]).write(to: folder.appendingPathComponent("binary.txt"))
        try Data(repeating: UInt8(ascii: "a"), count: 300_000).write(to: folder.appendingPathComponent("huge.txt"))
        try Data([0x63, 0x61, 0x66, 0xE9, 0x20, 0x6C, 0x61, 0x74, 0x69, 0x6E, 0x31, 0x0A]).write(to: folder.appendingPathComponent("latin1.txt"))
        try Data([0xEF, 0xBB, 0xBF] + Array("# Bom heading\n\nText after a byte order mark.\n".utf8)).write(to: folder.appendingPathComponent("bom.md"))
        try Data("%PDF-1.4\nthis is not really a pdf\n".utf8).write(to: folder.appendingPathComponent("broken.pdf"))
        try Data([0x89, 0x50, 0x4E, 0x47]).write(to: folder.appendingPathComponent("picture.png"))
        try EngineSupport.write("# Hidden\n\nsecret notes\n", to: folder.appendingPathComponent(".private/secret.md"))
        try EngineSupport.write("build/\n*.log\n", to: folder.appendingPathComponent(".gitignore"))
        try EngineSupport.write("generated output\n", to: folder.appendingPathComponent("build/out.txt"))
        try EngineSupport.write("log line\n", to: folder.appendingPathComponent("notes/debug.log"))
        try EngineSupport.write("drafts/\n", to: folder.appendingPathComponent(".engramignore"))
        try EngineSupport.write("# Draft\n\nunfinished\n", to: folder.appendingPathComponent("drafts/draft.md"))
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("notes/loop").path, withDestinationPath: "..")
        try fm.createSymbolicLink(atPath: folder.appendingPathComponent("dangling.md").path, withDestinationPath: "nowhere.md")
        return folder
    }

    @Test func badInputIsSkippedCountedAndWarnedOnce() throws {
        let (indexer, store) = try makeIndexer()
        let folder = try hostileFolder()
        var warnings: [IndexWarning] = []
        let summary = try indexer.index(folder: folder.path, walker: Walker(maxFileSize: 100_000), warn: { warnings.append($0) })
        // 9 fixture documents + latin1.txt + bom.md; the symlinked loop adds nothing twice.
        #expect(summary.added == 11)
        // binary.txt, huge.txt, broken.pdf, dangling.md, and picture.png, a binary format by name
        #expect(summary.skipped == 5)
        #expect(summary.skippedReasons == ["binary": 2, "too_large": 1, "broken": 1, "broken_link": 1])
        #expect(summary.errors == 0)
        // Files that are not text: picture.png by name, binary.txt by content.
        #expect(summary.unsupported == 2)
        let byFile = Dictionary(grouping: warnings) { ($0.path as NSString).lastPathComponent }
        #expect(byFile["binary.txt"]?.first?.reason.contains("binary") == true)
        #expect(byFile["huge.txt"]?.first?.reason.contains("max-file-size") == true)
        #expect(byFile["broken.pdf"]?.first?.reason.contains("PDF") == true)
        #expect(byFile["dangling.md"]?.first?.reason.contains("broken symbolic link") == true)
        #expect(byFile["latin1.txt"]?.first?.kind == .warning)
        #expect(byFile["picture.png"]?.first?.skip == .binary)
        #expect(warnings.allSatisfy { byFile[($0.path as NSString).lastPathComponent]?.count == 1 })

        let docs = try store.documents()
        let names = Set(docs.map { ($0.path as NSString).lastPathComponent })
        #expect(!names.contains("secret.md") && !names.contains("out.txt") && !names.contains("debug.log") && !names.contains("draft.md"))
        #expect(names.contains("photosynthesis.pdf"))
        #expect(Set(docs.map(\.path)).count == docs.count)
        let bom = try #require(docs.first { $0.path.hasSuffix("bom.md") })
        #expect(bom.title == "Bom heading")
        #expect(try store.chunks(ofDocument: bom.id).allSatisfy { !$0.text.hasPrefix("\u{FEFF}") })
        let html = try #require(docs.first { $0.path.hasSuffix(".html") })
        #expect(html.title == "The Solar System")
        let htmlText = try store.chunks(ofDocument: html.id).map(\.text).joined()
        #expect(!htmlText.contains("console.log") && !htmlText.contains("secret") && htmlText.contains("99.8"))
        #expect(try EngineSupport.checkConsistency(store).isEmpty)
    }

    @Test func textByContentIsIndexedOnceWithTheLinesOfItsFile() throws {
        let (indexer, store) = try makeIndexer()
        let folder = EngineSupport.temporaryFolder().appendingPathComponent("docs")
        var lf = "# Tides\n\n"
        for section in 0..<6 {
            lf += "## Section \(section)\n\n" + (0..<12).map { "Section \(section) line \($0) tells of the moon and the sea." }.joined(separator: "\n") + "\n\n"
        }
        try EngineSupport.write(lf, to: folder.appendingPathComponent("lf.md"))
        try EngineSupport.write(lf.replacingOccurrences(of: "\n", with: "\r\n"), to: folder.appendingPathComponent("crlf.md"))
        try EngineSupport.write("Authors of the tide tables.\n", to: folder.appendingPathComponent("AUTHORS"))
        try ContentTests.gzip(Data("Version 2: tides are searchable.\n".utf8)).write(to: folder.appendingPathComponent("NEWS.gz"))
        try (Data([0xFF, 0xFE]) + "Spring tides, in UTF-16.\n".data(using: .utf16LittleEndian)!).write(to: folder.appendingPathComponent("u16.txt"))
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("also-lf.md").path, withDestinationPath: "lf.md")
        let summary = try indexer.index(folder: folder.path)
        #expect(summary.added == 5 && summary.skipped == 0)
        let docs = Dictionary(uniqueKeysWithValues: try store.documents().map { (($0.path as NSString).lastPathComponent, $0) })
        #expect(Set(docs.keys) == ["lf.md", "crlf.md", "AUTHORS", "NEWS.gz", "u16.txt"])
        #expect(docs["NEWS.gz"]?.title == "NEWS" && docs["AUTHORS"]?.type == "text")
        let lfDoc = try #require(docs["lf.md"]), crlfDoc = try #require(docs["crlf.md"])
        #expect(crlfDoc.title == "Tides")
        let lfChunks = try store.chunks(ofDocument: lfDoc.id), crlfChunks = try store.chunks(ofDocument: crlfDoc.id)
        #expect(lfChunks.count > 1)
        #expect(crlfChunks.map(\.text) == lfChunks.map(\.text))
        #expect(crlfChunks.map(\.lineStart) == lfChunks.map(\.lineStart) && crlfChunks.map(\.lineEnd) == lfChunks.map(\.lineEnd))
        #expect(lfChunks.last?.lineEnd == 2 + 6 * 15 - 1)
        let u16 = try store.chunks(ofDocument: try #require(docs["u16.txt"]).id).map(\.text).joined()
        #expect(u16 == "Spring tides, in UTF-16.")
        #expect(try EngineSupport.checkConsistency(store).isEmpty)
    }

    @Test func aFileNowOverTheSizeLimitLeavesTheIndex() throws {
        let (indexer, store) = try makeIndexer()
        let folder = EngineSupport.temporaryFolder().appendingPathComponent("docs")
        let text = (0..<100).map { "Line \($0) about the tides of the northern sea." }.joined(separator: "\n")
        try EngineSupport.write(text, to: folder.appendingPathComponent("big.txt"))
        let gz = folder.appendingPathComponent("big.log.gz")
        try ContentTests.gzip(Data("A short log.\n".utf8)).write(to: gz)
        try EngineSupport.write("Small note.\n", to: folder.appendingPathComponent("small.txt"))
        #expect(try indexer.index(folder: folder.path).added == 3)
        // A compressed file is measured when it is read: this one, rewritten, is small on disk but inflates past the limit.
        try ContentTests.gzip(Data(text.utf8)).write(to: gz)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(5)], ofItemAtPath: gz.path)
        let limited = try indexer.index(folder: folder.path, walker: Walker(maxFileSize: 1_000))
        #expect(limited.removed == 2 && limited.unchanged == 1)
        #expect(limited.skippedReasons == ["too_large": 2])
        #expect(try store.documents().map { ($0.path as NSString).lastPathComponent } == ["small.txt"])
        #expect(try EngineSupport.checkConsistency(store).isEmpty)
    }

    @Test func incrementalRunsEmbedOnlyWhatChanged() throws {
        let (indexer, store) = try makeIndexer()
        let folder = try EngineSupport.copyOfFixtures()
        let first = try indexer.index(folder: folder.path)
        #expect(first.added == 9 && first.chunksEmbedded > 0)

        // 1. Touch without change: nothing embedded.
        let tides = folder.appendingPathComponent("notes/tides.md")
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: tides.path)
        let touched = try indexer.index(folder: folder.path)
        #expect(touched.unchanged == 9 && touched.chunksEmbedded == 0 && touched.updated == 0)

        // 2. Edit one paragraph: exactly the chunks whose text changed are embedded.
        let before = try String(contentsOf: tides, encoding: .utf8)
        let after = before.replacingOccurrences(of: "smallest: neap tides.", with: "smallest: these are the neap tides.")
        try Data(after.utf8).write(to: tides)
        let tokenizer = indexer.encoder.tokenizer
        let chunker = Chunker(countTokens: { tokenizer.encode($0).untruncatedLength - 2 })
        let oldChunks = Set(chunker.chunks(before).map(\.text)), newChunks = chunker.chunks(after).map(\.text)
        let expected = newChunks.filter { !oldChunks.contains($0) }.count
        #expect(expected >= 1)
        let edited = try indexer.index(folder: folder.path)
        #expect(edited.updated == 1 && edited.unchanged == 8)
        #expect(edited.chunksEmbedded == expected)
        #expect(edited.chunksReused == newChunks.count - expected)

        // 3. Rename: recognised by content, nothing embedded.
        let renamed = folder.appendingPathComponent("notes/bread.md")
        try FileManager.default.moveItem(at: folder.appendingPathComponent("notes/sourdough.md"), to: renamed)
        let moved = try indexer.index(folder: folder.path)
        #expect(moved.moved == 1 && moved.chunksEmbedded == 0 && moved.removed == 0 && moved.added == 0)
        #expect(try store.documents().contains { $0.path == renamed.path })

        // 4. Delete: the document leaves the index.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("notes/sleep.md"))
        let deleted = try indexer.index(folder: folder.path)
        #expect(deleted.removed == 1 && deleted.chunksEmbedded == 0)
        #expect(try store.documents().count == 8)
        #expect(try EngineSupport.checkConsistency(store).isEmpty)
    }

    @Test func anIndexRefusesAnotherModel() throws {
        let (_, store) = try makeIndexer()
        #expect(throws: StoreError.self) { try store.bindModel(identity: "other-model@768d", dimension: 768) }
    }

    @Test func aFileThatIsNotAnIndexIsRefused() throws {
        let path = EngineSupport.temporaryFolder().appendingPathComponent("notes.sqlite").path
        try Data("just some text, not SQLite at all".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.notAnIndex(path: path)) { _ = try IndexStore(path: path, access: .write(create: true, wait: .fail)) }
        let foreign = EngineSupport.temporaryFolder().appendingPathComponent("other.sqlite").path
        let db = try Database(path: foreign)
        try db.execute("CREATE TABLE t(x)")
        #expect(throws: StoreError.notAnIndex(path: foreign)) { _ = try IndexStore(path: foreign, access: .write(create: true, wait: .fail)) }
    }
}
