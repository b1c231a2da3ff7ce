import EngramEmbedding
import Foundation
import Testing

/// The compiled vocabulary beside `vocab.txt` (`vocab.trie`) gives the tokenizer exactly what building the
/// tries gives it, and never outlives the `vocab.txt` it was made from.
@Suite struct VocabularyCacheTests {
    static let samples = [
        "Hello, World! Tokenizers split unaffable words into ##pieces.", "naïve café résumé Ünïcödé",
        "가 \u{1100}\u{1161} 日本語のテキスト", "[CLS] literal [SEP] and [MASK] tokens", "x = f(y) + 3.14e-10; // code",
        "supercalifragilisticexpialidocious antidisestablishmentarianism", "",
    ]

    /// A folder holding a copy of the installed model's vocab.txt, and no compiled form yet.
    func folderWithModelVocabulary() throws -> URL {
        let folder = Support.temporaryFolder()
        let source = try Support.encoder.get().folder.appendingPathComponent("vocab.txt")
        try FileManager.default.copyItem(at: source, to: folder.appendingPathComponent("vocab.txt"))
        return folder
    }

    func ids(_ vocabulary: Vocabulary, _ texts: [String]) -> [[Int32]] {
        let tokenizer = BertTokenizer(vocabulary: vocabulary)
        return texts.map { tokenizer.encode($0).ids }
    }

    @Test("the first load writes vocab.trie; loading through it tokenizes exactly as the built tries do")
    func sameTokens() throws {
        let folder = try folderWithModelVocabulary()
        let vocab = folder.appendingPathComponent("vocab.txt"), trie = folder.appendingPathComponent("vocab.trie")
        let built = try Vocabulary(contentsOf: vocab)
        #expect(FileManager.default.fileExists(atPath: trie.path))
        let cached = try Vocabulary(contentsOf: vocab)
        let texts = Self.samples + Support.golden.cases.map(\.input)
        #expect(ids(cached, texts) == ids(built, texts))
        #expect(ids(cached, texts) == ids(try Support.encoder.get().tokenizer.vocabulary, texts))
        #expect(cached.tokens == built.tokens && cached.count == 30_522)
        #expect(cached.unknownID == built.unknownID && cached.clsID == built.clsID && cached.sepID == built.sepID)
    }

    @Test("an edited vocab.txt is read again, not answered from the old compiled form")
    func editedVocabulary() throws {
        let folder = Support.temporaryFolder()
        let vocab = folder.appendingPathComponent("vocab.txt")
        try Data("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n".utf8).write(to: vocab)
        let before = try Vocabulary(contentsOf: vocab)
        #expect(ids(before, ["hello world"]) == [[2, 4, 1, 3]])
        try Data("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\n".utf8).write(to: vocab)
        let after = try Vocabulary(contentsOf: vocab)
        #expect(ids(after, ["hello world"]) == [[2, 4, 5, 3]])
        #expect(after.tokens.last == "world")
    }

    @Test("a damaged or truncated vocab.trie is ignored and written again")
    func damagedCache() throws {
        let folder = try folderWithModelVocabulary()
        let vocab = folder.appendingPathComponent("vocab.txt"), trie = folder.appendingPathComponent("vocab.trie")
        let built = try Vocabulary(contentsOf: vocab)
        let good = try Data(contentsOf: trie)
        var flipped = good
        for offset in stride(from: 100, to: flipped.count, by: 4099) { flipped[offset] ^= 0x5A }
        for damaged in [flipped, good.prefix(good.count / 2), good.prefix(16), Data()] {
            try damaged.write(to: trie)
            let loaded = try Vocabulary(contentsOf: vocab)
            #expect(ids(loaded, Self.samples) == ids(built, Self.samples))
            #expect(try Data(contentsOf: trie) == good)
        }
    }

    @Test("a folder where vocab.trie cannot be written still loads")
    func unwritableCache() throws {
        let folder = try folderWithModelVocabulary()
        let vocab = folder.appendingPathComponent("vocab.txt")
        // A directory in its place: the rename fails whoever runs the test (root may write anywhere).
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("vocab.trie"), withIntermediateDirectories: false)
        let first = try Vocabulary(contentsOf: vocab), second = try Vocabulary(contentsOf: vocab)
        #expect(ids(first, Self.samples) == ids(second, Self.samples))
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(left == ["vocab.trie", "vocab.txt"])
    }
}
