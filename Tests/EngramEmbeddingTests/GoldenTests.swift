import EngramEmbedding
import Foundation
import Testing

/// The native tokenizer and encoder against the reference implementation's golden outputs.
@Suite struct GoldenTests {
    static let allCases = Support.golden.cases + Support.golden.tokenizer_cases

    @Test("token ids equal the reference", arguments: allCases.indices)
    func tokenIDs(index: Int) throws {
        let c = Self.allCases[index]
        let encoder = try Support.encoder.get()
        let encoding = encoder.tokenizer.encode(c.input)
        #expect(encoding.ids == c.token_ids, "\(c.name ?? c.input.debugDescription)")
        if let n = c.untruncated_length { #expect(encoding.untruncatedLength == n) }
    }

    @Test("embeddings match the reference (cosine ≥ 0.99999, |Δ| ≤ 1e-4)", arguments: Support.golden.cases.indices)
    func embedding(index: Int) throws {
        let c = Support.golden.cases[index]
        let expected = try #require(c.embedding)
        let vector = try Support.encoder.get().encode(c.input)
        #expect(vector.count == expected.count)
        #expect(Support.cosine(vector, expected) >= 0.99999, "\(c.name ?? "")")
        #expect(Support.maxAbsDiff(vector, expected) <= 1e-4, "\(c.name ?? "")")
    }

    @Test("an input embedded alone equals the same input in a batch with longer ones")
    func batchInvariance() throws {
        let encoder = try Support.encoder.get()
        let texts = Support.golden.cases.map(\.input)
        let batched = encoder.encode(texts)
        for (i, text) in texts.enumerated() {
            let alone = encoder.encode(text)
            #expect(Support.maxAbsDiff(alone, batched[i]) <= 1e-5, "\(text.prefix(40))")
        }
        // Results come back in input order even though batches are sorted by length.
        let reversed = encoder.encode(texts.reversed())
        for (i, v) in reversed.reversed().enumerated() {
            #expect(Support.maxAbsDiff(v, batched[i]) <= 1e-5)
        }
    }
}
