import ArgumentParser
import EngramEmbedding
import Foundation

struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed texts and print their vectors.",
        discussion: """
            With no TEXT arguments, reads one text per line from standard input.
            Examples:
              engram embed "how do tides work"
              cut -f2 sentences.tsv | engram embed --json > vectors.jsonl
            """
    )

    @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
    var model: String?

    @Option(help: PrecisionOption.help)
    var precision: Precision = .auto

    @Flag(help: "Print one JSON object per input: {\"text\", \"tokens\", \"embedding\"}.")
    var json = false

    @Argument(help: "Texts to embed.")
    var text: [String] = []

    func run() async throws {
        let encoder = try PrecisionOption.encoder(model: model, precision: precision)
        var inputs = text
        if inputs.isEmpty {
            while let line = readLine(strippingNewline: true) { inputs.append(line) }
        }
        let encodings = encoder.tokenize(inputs)
        let vectors = encoder.encode(tokenized: encodings)
        for (i, input) in inputs.enumerated() {
            if json {
                try printJSONLine(EmbedOutput(text: input, tokens: encodings[i].ids.map(Int.init), embedding: vectors[i]))
            } else {
                let head = vectors[i].prefix(6).map { String(format: "%+.4f", $0) }.joined(separator: " ")
                print("\(input)\n  \(encodings[i].ids.count) tokens, \(vectors[i].count)-d: [\(head) …]")
            }
        }
    }
}

struct EmbedOutput: Encodable {
    let text: String
    let tokens: [Int]
    let embedding: [Float]
}
