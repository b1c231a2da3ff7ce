import EngramEmbedding
import Foundation

/// Paths and shared fixtures for the embedding tests.
enum Support {
    /// The package root (three levels above this file).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// Reference outputs kept with the sources, so the tests need nothing beside the clone.
    static let fixtures = root.appendingPathComponent("fixtures")

    struct Golden: Decodable {
        struct Case: Decodable {
            let name: String?
            let input: String
            let token_ids: [Int32]
            let untruncated_length: Int?
            let embedding: [Float]?
        }
        let cases: [Case]
        let tokenizer_cases: [Case]
    }

    static let golden: Golden = {
        let url = fixtures.appendingPathComponent("reference/minilm-golden.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            fatalError("golden file missing: \(url.path)")
        }
        return try! JSONDecoder().decode(Golden.self, from: data)
    }()

    /// The installed default model (`make test` installs it) in float32, the reference-exact path; loading failures are test failures.
    static let encoder: Result<SentenceEncoder, Error> = Result { try SentenceEncoder(folder: ModelStore.resolve(nil), precision: .fp32) }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices {
            dot += Double(a[i]) * Double(b[i])
            na += Double(a[i]) * Double(a[i])
            nb += Double(b[i]) * Double(b[i])
        }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    static func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
    }

    /// A fresh temporary folder.
    static func temporaryFolder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("engram-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
