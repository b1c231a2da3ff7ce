import Foundation

/// A sentence-transformers BERT model, loaded from a folder and run natively.
///
/// `encode` tokenises, sorts inputs by length, packs them into batches of about `batchTokens`
/// tokens, runs the encoder and returns one vector per input, in input order.
public final class SentenceEncoder: Sendable {
    public let folder: URL
    public let config: ModelConfig
    public let tokenizer: BertTokenizer
    let model: BertModel

    /// Output dimension.
    public var dimension: Int { config.hiddenSize }

    /// A short identity for the weights (folder name and a digest of the safetensors header),
    /// recorded by indexes so that vectors from different models are never mixed.
    public let identity: String

    /// The format the dense layers run in (`.fp32` or `.bf16`; never `.auto`).
    public var precision: Precision { model.precision }

    /// Loads the model in `folder`. `precision` is resolved against `features` (this CPU's, by default) and
    /// `ENGRAM_PRECISION` (see `Precision.resolve`); bf16 weights are converted and packed here, once.
    public init(folder: URL, precision: Precision = .auto, features: CPUFeatures? = nil) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            throw EmbeddingError.modelNotFound(path: folder.path)
        }
        self.folder = folder
        config = try ModelConfig(folder: folder)
        let vocabulary = try Vocabulary(contentsOf: folder.appendingPathComponent("vocab.txt"))
        guard vocabulary.count == config.vocabSize else {
            throw EmbeddingError.invalidConfig(
                path: folder.appendingPathComponent("vocab.txt").path,
                reason: "\(vocabulary.count) tokens but config.json says vocab_size \(config.vocabSize)")
        }
        tokenizer = BertTokenizer(vocabulary: vocabulary, maxLength: config.maxSequenceLength, lowercase: config.lowercase)
        let file = try SafeTensorsFile(path: folder.appendingPathComponent("model.safetensors").path)
        model = try BertModel(config: config, weights: try BertWeights(file: file, config: config),
                              precision: Precision.resolve(precision, features: features))
        let headerDigest = SHA256.hex(Data(file.tensors.keys.sorted().joined(separator: ",").utf8)).prefix(12)
        identity = "\(folder.lastPathComponent)@\(config.hiddenSize)d-\(headerDigest)"
    }

    /// Embeds one text.
    public func encode(_ text: String) -> [Float] {
        encode([text])[0]
    }

    /// Embeds texts, batched by token length; results are in input order.
    /// `progress` is called with the number of inputs done after each batch.
    public func encode(_ texts: [String], batchTokens: Int = 2048, progress: ((Int) -> Void)? = nil) -> [[Float]] {
        encode(tokenized: tokenize(texts), batchTokens: batchTokens, progress: progress)
    }

    /// Tokenises texts across the cores.
    public func tokenize(_ texts: [String]) -> [Encoding] {
        var out = [Encoding](repeating: Encoding(ids: [], untruncatedLength: 0), count: texts.count)
        out.withUnsafeMutableBufferPointer { buffer in
            let b = buffer
            Parallel.rows(texts.count, grain: 16) { r in
                for i in r { b[i] = tokenizer.encode(texts[i]) }
            }
        }
        return out
    }

    /// Embeds already tokenised inputs.
    ///
    /// Inputs are sorted by length and cut into batches of about `batchTokens` tokens. With several
    /// batches, each core runs whole batches on its own (no synchronisation between layers); a single
    /// batch spreads its matrix products and attention heads across the cores instead.
    public func encode(tokenized: [Encoding], batchTokens: Int = 2048, progress: ((Int) -> Void)? = nil) -> [[Float]] {
        let order = tokenized.indices.sorted { tokenized[$0].ids.count < tokenized[$1].ids.count }
        var batches: [ArraySlice<Int>] = []
        var start = 0
        while start < order.count {
            var end = start
            var tokens = 0
            while end < order.count, end == start || tokens + tokenized[order[end]].ids.count <= batchTokens {
                tokens += tokenized[order[end]].ids.count
                end += 1
            }
            batches.append(order[start..<end])
            start = end
        }
        var result = [[Float]](repeating: [], count: tokenized.count)
        let lock = NSLock()
        var done = 0
        let side = batches.count > 1 ? Parallel.workers : 1
        // Longest batches first, so the last ones to finish are short.
        let schedule = Array(batches.indices.reversed())
        Parallel.each(schedule.count, workers: side) { s in
            let batch = batches[schedule[s]]
            let vectors = model.embed(batch.map { tokenized[$0].ids }, threads: side > 1 ? 1 : Parallel.workers)
            lock.withLock {
                for (i, v) in zip(batch, vectors) { result[i] = v }
                done += batch.count
                progress?(done)
            }
        }
        return result
    }
}
