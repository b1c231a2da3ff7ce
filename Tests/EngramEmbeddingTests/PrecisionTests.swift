import EngramEmbedding
import Foundation
import Testing

/// The reduced-precision forward pass against the golden vectors and the fp32 path, and the choice of precision.
@Suite struct PrecisionTests {
    static let hasBF16 = CPUFeatures.detect().bf16

    /// The default model in bf16, loaded once (packing the weights takes a moment).
    static let bf16: Result<SentenceEncoder, Error> = Result {
        try SentenceEncoder(folder: ModelStore.resolve(nil), precision: .bf16)
    }

    @Test("bf16 embeddings match the reference (cosine ≥ 0.999 on every case)", .enabled(if: hasBF16),
          arguments: Support.golden.cases.indices)
    func bf16Golden(index: Int) throws {
        let c = Support.golden.cases[index]
        let expected = try #require(c.embedding)
        let encoder = try Self.bf16.get()
        #expect(encoder.precision == .bf16)
        let vector = encoder.encode(c.input)
        #expect(vector.count == expected.count)
        #expect(Support.cosine(vector, expected) >= 0.999, "\(c.name ?? "")")
    }

    @Test("bf16: an input embedded alone equals the same input in a batch", .enabled(if: hasBF16))
    func bf16BatchInvariance() throws {
        let encoder = try Self.bf16.get()
        let texts = Support.golden.cases.map(\.input)
        let batched = encoder.encode(texts)
        for (i, text) in texts.enumerated() {
            // Each row's products do not depend on the other rows in its tile, so alone and batched agree
            // to float rounding, far inside bf16's own error.
            #expect(Support.maxAbsDiff(encoder.encode(text), batched[i]) <= 1e-5, "\(text.prefix(40))")
        }
        let reversed = encoder.encode(texts.reversed())
        for (i, v) in reversed.reversed().enumerated() {
            #expect(Support.maxAbsDiff(v, batched[i]) <= 1e-5)
        }
    }

    @Test("bf16 stays within 0.999 cosine of fp32 on a batch of mixed lengths", .enabled(if: hasBF16))
    func bf16AgainstFP32() throws {
        let texts = Support.golden.cases.map(\.input) + Support.golden.tokenizer_cases.map(\.input)
        let reduced = try Self.bf16.get().encode(texts)
        let full = try Support.encoder.get().encode(texts)
        for i in texts.indices where !full[i].isEmpty {
            #expect(Support.cosine(reduced[i], full[i]) >= 0.999, "\(texts[i].prefix(40))")
        }
    }

    @Test("without bf16 instructions, auto and bf16 run the fp32 path and give its vectors")
    func forcedFallback() throws {
        let fp32 = try Support.encoder.get()
        let texts = Support.golden.cases.map(\.input)
        let expected = fp32.encode(texts)
        for requested in [Precision.auto, .bf16] {
            let encoder = try SentenceEncoder(folder: ModelStore.resolve(nil), precision: requested, features: .float32)
            #expect(encoder.precision == .fp32)
            let vectors = encoder.encode(texts)
            for i in texts.indices { #expect(Support.maxAbsDiff(vectors[i], expected[i]) <= 1e-6) }
        }
    }

    @Test("ENGRAM_FORCE_FP32 hides the CPU's bf16 instructions")
    func forceEnvironment() {
        #expect(CPUFeatures.detect(environment: ["ENGRAM_FORCE_FP32": "1"]) == .float32)
        #expect(CPUFeatures.detect(environment: ["ENGRAM_FORCE_FP32": "0"]) == CPUFeatures.detect(environment: [:]))
    }

    @Test("auto picks bf16 where the CPU has it; ENGRAM_PRECISION steers only auto; bf16 falls back without the CPU")
    func resolution() {
        let yes = CPUFeatures(bf16: true), no = CPUFeatures.float32
        #expect(Precision.resolve(.auto, features: yes, environment: [:]) == .bf16)
        #expect(Precision.resolve(.auto, features: no, environment: [:]) == .fp32)
        #expect(Precision.resolve(.auto, features: yes, environment: ["ENGRAM_PRECISION": "fp32"]) == .fp32)
        #expect(Precision.resolve(.auto, features: yes, environment: ["ENGRAM_PRECISION": "BF16"]) == .bf16)
        #expect(Precision.resolve(.auto, features: no, environment: ["ENGRAM_PRECISION": "bf16"]) == .fp32)
        #expect(Precision.resolve(.auto, features: yes, environment: ["ENGRAM_PRECISION": "nonsense"]) == .bf16)
        #expect(Precision.resolve(.fp32, features: yes, environment: ["ENGRAM_PRECISION": "bf16"]) == .fp32)
        #expect(Precision.resolve(.bf16, features: yes, environment: ["ENGRAM_PRECISION": "fp32"]) == .bf16)
        #expect(Precision.resolve(.bf16, features: no, environment: [:]) == .fp32)
    }
}
