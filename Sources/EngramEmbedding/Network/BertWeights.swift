import Foundation

/// Pointers into the mapped safetensors file for every weight of a BERT encoder.
/// Linear weights are PyTorch's `[out, in]`, row-major.
struct BertWeights: @unchecked Sendable {
    struct Layer {
        let attentionOut: UnsafePointer<Float>              // [H, H]
        let attentionOutBias: UnsafePointer<Float>          // [H]
        let attentionNormGamma, attentionNormBeta: UnsafePointer<Float>  // [H]
        let intermediate: UnsafePointer<Float>              // [I, H]
        let intermediateBias: UnsafePointer<Float>          // [I]
        let output: UnsafePointer<Float>                    // [H, I]
        let outputBias: UnsafePointer<Float>                // [H]
        let outputNormGamma, outputNormBeta: UnsafePointer<Float>  // [H]
        /// Query, key and value stacked into one [3H, H] matrix and [3H] bias, so the three
        /// projections are one matrix product (the only weights copied out of the mapping: 1.8 MB a layer).
        let qkv: UnsafePointer<Float>
        let qkvBias: UnsafePointer<Float>
    }

    let wordEmbeddings: UnsafePointer<Float>      // [V, H]
    let positionEmbeddings: UnsafePointer<Float>  // [P, H]
    let tokenTypeEmbeddings: UnsafePointer<Float> // [T, H]
    let embeddingNormGamma, embeddingNormBeta: UnsafePointer<Float>  // [H]
    let layers: [Layer]
    /// Keeps the mapping alive as long as the pointers are in use.
    let file: SafeTensorsFile
    /// The few buffers copied out of the mapping (fused QKV), freed with the weights.
    let owned: OwnedBuffers

    final class OwnedBuffers: @unchecked Sendable {
        private var buffers: [UnsafeMutablePointer<Float>] = []
        func keep(_ p: UnsafeMutablePointer<Float>) { buffers.append(p) }
        deinit { buffers.forEach { $0.deallocate() } }
    }

    init(file: SafeTensorsFile, config c: ModelConfig) throws {
        self.file = file
        // Checkpoints saved from BertModel have bare names; some from BertFor* carry a "bert." prefix.
        let prefix = file.tensors["embeddings.word_embeddings.weight"] != nil ? "" : "bert."
        let h = c.hiddenSize, i = c.intermediateSize
        func t(_ name: String, _ shape: [Int]) throws -> UnsafePointer<Float> {
            try file.floats(prefix + name, shape: shape)
        }
        wordEmbeddings = try t("embeddings.word_embeddings.weight", [c.vocabSize, h])
        positionEmbeddings = try t("embeddings.position_embeddings.weight", [c.maxPositions, h])
        tokenTypeEmbeddings = try t("embeddings.token_type_embeddings.weight", [c.typeVocabSize, h])
        embeddingNormGamma = try t("embeddings.LayerNorm.weight", [h])
        embeddingNormBeta = try t("embeddings.LayerNorm.bias", [h])
        let buffers = OwnedBuffers()
        owned = buffers
        layers = try (0..<c.layers).map { l in
            let p = "encoder.layer.\(l)."
            let (query, key, value) = (try t(p + "attention.self.query.weight", [h, h]), try t(p + "attention.self.key.weight", [h, h]),
                                       try t(p + "attention.self.value.weight", [h, h]))
            let (queryBias, keyBias, valueBias) = (try t(p + "attention.self.query.bias", [h]), try t(p + "attention.self.key.bias", [h]),
                                                   try t(p + "attention.self.value.bias", [h]))
            let qkv = UnsafeMutablePointer<Float>.allocate(capacity: 3 * h * h)
            let qkvBias = UnsafeMutablePointer<Float>.allocate(capacity: 3 * h)
            for (i, (w, b)) in [(query, queryBias), (key, keyBias), (value, valueBias)].enumerated() {
                (qkv + i * h * h).update(from: w, count: h * h)
                (qkvBias + i * h).update(from: b, count: h)
            }
            buffers.keep(qkv)
            buffers.keep(qkvBias)
            return Layer(
                attentionOut: try t(p + "attention.output.dense.weight", [h, h]),
                attentionOutBias: try t(p + "attention.output.dense.bias", [h]),
                attentionNormGamma: try t(p + "attention.output.LayerNorm.weight", [h]),
                attentionNormBeta: try t(p + "attention.output.LayerNorm.bias", [h]),
                intermediate: try t(p + "intermediate.dense.weight", [i, h]),
                intermediateBias: try t(p + "intermediate.dense.bias", [i]),
                output: try t(p + "output.dense.weight", [h, i]),
                outputBias: try t(p + "output.dense.bias", [h]),
                outputNormGamma: try t(p + "output.LayerNorm.weight", [h]),
                outputNormBeta: try t(p + "output.LayerNorm.bias", [h]),
                qkv: UnsafePointer(qkv), qkvBias: UnsafePointer(qkvBias))
        }
    }
}
