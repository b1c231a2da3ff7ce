import EngramEmbedding
import Foundation
import Testing

/// Random Unicode never crashes the tokenizer, and its output is always well formed.
@Suite struct TokenizerPropertyTests {
    /// A small deterministic generator (SplitMix64), so failures reproduce.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Code points from ranges that stress normalisation: ASCII, Latin with accents, combining marks,
    /// CJK, Hangul, emoji and modifiers, controls and format characters, the edges around the surrogates,
    /// private use and unassigned planes.
    static let ranges: [ClosedRange<UInt32>] = [
        0x20...0x7E, 0x00...0x1F, 0xC0...0x24F, 0x300...0x36F, 0x4E00...0x9FFF, 0xAC00...0xD7A3,
        0x1F300...0x1FAFF, 0x1F3FB...0x1F3FF, 0x200B...0x200F, 0xD700...0xD7FF, 0xE000...0xE0FF,
        0xFFF0...0xFFFF, 0x10000...0x1000F, 0x2B800...0x2B9FF, 0xE0000...0xE007F, 0x0900...0x097F,
    ]

    static func randomString(_ rng: inout SplitMix) -> String {
        var scalars = String.UnicodeScalarView()
        let length = Int.random(in: 0...400, using: &rng)
        for _ in 0..<length {
            let range = ranges.randomElement(using: &rng)!
            if let s = Unicode.Scalar(UInt32.random(in: range, using: &rng)) { scalars.append(s) }
            if Int.random(in: 0..<20, using: &rng) == 0 { scalars.append(" ") }
            if Int.random(in: 0..<200, using: &rng) == 0 {  // a very long word
                scalars.append(contentsOf: String(repeating: "ab", count: Int.random(in: 40...300, using: &rng)).unicodeScalars)
            }
        }
        return String(scalars)
    }

    @Test("random Unicode strings give in-vocabulary ids, ≤ 256, framed by [CLS] … [SEP]")
    func randomStrings() throws {
        let encoder = try Support.encoder.get()
        let vocab = encoder.tokenizer.vocabulary
        var rng = SplitMix(state: 20_261_129)
        for _ in 0..<1500 {
            let text = Self.randomString(&rng)
            let ids = encoder.tokenizer.encode(text).ids
            #expect(ids.count >= 2 && ids.count <= 256)
            #expect(ids.first == vocab.clsID && ids.last == vocab.sepID)
            #expect(ids.allSatisfy { $0 >= 0 && Int($0) < vocab.count })
        }
    }

    @Test("random strings embed to finite unit vectors")
    func randomEmbeddings() throws {
        let encoder = try Support.encoder.get()
        var rng = SplitMix(state: 7)
        let texts = (0..<24).map { _ in Self.randomString(&rng) }
        for v in encoder.encode(texts) {
            #expect(v.allSatisfy { $0.isFinite })
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-4)
        }
    }
}
