import Foundation

/// How token vectors become one sentence vector.
public enum Pooling: String, Sendable, Codable {
    case mean
    case cls
}

/// The parts of a sentence-transformers BERT folder that shape the network and its input:
/// `config.json`, `sentence_bert_config.json`, `1_Pooling/config.json`, `tokenizer_config.json`.
public struct ModelConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var vocabSize: Int
    public var layerNormEps: Float
    public var maxSequenceLength: Int
    public var pooling: Pooling
    public var lowercase: Bool
    public var normalize: Bool

    public var headSize: Int { hiddenSize / heads }

    /// Reads the config files of a model folder.
    public init(folder: URL) throws {
        let configPath = folder.appendingPathComponent("config.json")
        let config = try Self.json(configPath, required: true)
        func int(_ key: String) throws -> Int {
            guard let v = (config[key] as? NSNumber)?.intValue, v > 0 else {
                throw EmbeddingError.invalidConfig(path: configPath.path, reason: "missing or invalid \(key)")
            }
            return v
        }
        hiddenSize = try int("hidden_size")
        layers = try int("num_hidden_layers")
        heads = try int("num_attention_heads")
        intermediateSize = try int("intermediate_size")
        maxPositions = try int("max_position_embeddings")
        vocabSize = try int("vocab_size")
        typeVocabSize = (config["type_vocab_size"] as? NSNumber)?.intValue ?? 2
        layerNormEps = (config["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12
        guard hiddenSize % heads == 0 else {
            throw EmbeddingError.invalidConfig(path: configPath.path, reason: "hidden_size \(hiddenSize) is not a multiple of \(heads) heads")
        }
        if let act = config["hidden_act"] as? String, act != "gelu" {
            throw EmbeddingError.invalidConfig(path: configPath.path, reason: "hidden_act \(act) is not supported (only gelu)")
        }
        if let type = config["model_type"] as? String, type != "bert" {
            throw EmbeddingError.invalidConfig(path: configPath.path, reason: "model_type \(type) is not a BERT model")
        }

        let sbert = try Self.json(folder.appendingPathComponent("sentence_bert_config.json"), required: false)
        maxSequenceLength = min((sbert["max_seq_length"] as? NSNumber)?.intValue ?? 256, maxPositions)

        let poolingPath = folder.appendingPathComponent("1_Pooling/config.json")
        let pool = try Self.json(poolingPath, required: false)
        if (pool["pooling_mode_cls_token"] as? NSNumber)?.boolValue == true {
            pooling = .cls
        } else if pool.isEmpty || (pool["pooling_mode_mean_tokens"] as? NSNumber)?.boolValue == true {
            pooling = .mean
        } else {
            throw EmbeddingError.invalidConfig(path: poolingPath.path, reason: "only mean and CLS pooling are supported")
        }

        let tok = try Self.json(folder.appendingPathComponent("tokenizer_config.json"), required: false)
        lowercase = (tok["do_lower_case"] as? NSNumber)?.boolValue ?? true

        // sentence-transformers adds a Normalize module when modules.json lists one; MiniLM does.
        let modulesPath = folder.appendingPathComponent("modules.json")
        if let data = FileManager.default.contents(atPath: modulesPath.path),
           let modules = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] {
            normalize = modules.contains { ($0["type"] as? String)?.hasSuffix("Normalize") == true }
        } else {
            normalize = true
        }
    }

    private static func json(_ url: URL, required: Bool) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            if required { throw EmbeddingError.missingFile(path: url.path) }
            return [:]
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw EmbeddingError.invalidConfig(path: url.path, reason: "not a JSON object")
        }
        return object
    }
}
