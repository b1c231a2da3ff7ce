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
        let query, key, value: UnsafePointer<Float>         // [H, H] each
        let queryBias, keyBias, valueBias: UnsafePointer<Float>  // [H] each
    }

    let wordEmbeddings: UnsafePointer<Float>      // [V, H]
    let positionEmbeddings: UnsafePointer<Float>  // [P, H]
    let tokenTypeEmbeddings: UnsafePointer<Float> // [T, H]
    let embeddingNormGamma, embeddingNormBeta: UnsafePointer<Float>  // [H]
    let layers: [Layer]
    /// Keeps the mapping alive as long as the pointers are in use. Nothing is copied out of it: a search
    /// process reads only the pages its products touch.
    let file: SafeTensorsFile

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
        layers = try (0..<c.layers).map { l in
            let p = "encoder.layer.\(l)."
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
                query: try t(p + "attention.self.query.weight", [h, h]), key: try t(p + "attention.self.key.weight", [h, h]),
                value: try t(p + "attention.self.value.weight", [h, h]),
                queryBias: try t(p + "attention.self.query.bias", [h]), keyBias: try t(p + "attention.self.key.bias", [h]),
                valueBias: try t(p + "attention.self.value.bias", [h]))
        }
    }
}
