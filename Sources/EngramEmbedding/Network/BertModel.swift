import CBLAS
import Foundation

/// The BERT encoder's forward pass in fp32 on OpenBLAS.
///
/// A batch is *packed*: the tokens of all its sequences are stacked into one `[T, H]` matrix with
/// no padding, so every dense layer is one matrix product over T rows and only attention looks at
/// sequence boundaries. Padding therefore cannot change an embedding, and costs nothing.
public final class BertModel: @unchecked Sendable {
    public let config: ModelConfig
    let weights: BertWeights

    init(config: ModelConfig, weights: BertWeights) {
        self.config = config
        self.weights = weights
        // The engine splits work across cores itself (see `Parallel`).
        openblas_set_num_threads(1)
    }

    /// Runs the encoder on sequences of token ids and returns one pooled (and, if the model says so,
    /// L2-normalised) vector per sequence. `threads` bounds the cores this call spreads over; callers
    /// that run several batches side by side pass 1.
    func embed(_ sequences: [[Int32]], threads: Int = Parallel.workers) -> [[Float]] {
        let h = config.hiddenSize, inter = config.intermediateSize
        let offsets = sequences.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let t = offsets.last!
        guard t > 0 else { return [] }

        let x = UnsafeMutablePointer<Float>.allocate(capacity: t * h)       // [T, H] hidden state
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: t * 3 * h) // [T, 3H]: Q | K | V per row
        let q = UnsafeMutablePointer<Float>.allocate(capacity: t * h)       // [T, H] (attention output block)
        let ctx = UnsafeMutablePointer<Float>.allocate(capacity: t * h)     // [T, H]
        let up = UnsafeMutablePointer<Float>.allocate(capacity: t * inter)  // [T, I]
        defer { [x, qkv, q, ctx, up].forEach { $0.deallocate() } }

        embedTokens(sequences, into: x, threads: threads)
        for layer in weights.layers {
            linear(x, rows: t, in: h, weight: layer.qkv, bias: layer.qkvBias, out: 3 * h, into: qkv, threads: threads)
            attention(qkv: qkv, offsets: offsets, into: ctx, threads: threads)
            // ctx ← LayerNorm(ctx·Woᵀ + bo + x); then x holds it.
            linear(ctx, rows: t, in: h, weight: layer.attentionOut, bias: layer.attentionOutBias, out: h, into: q, threads: threads)
            Parallel.rows(t, workers: threads) { r in
                Kernels.addLayerNorm(q + r.lowerBound * h, residual: x + r.lowerBound * h, rows: r.count, dim: h,
                                     gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta, eps: config.layerNormEps)
            }
            linear(q, rows: t, in: h, weight: layer.intermediate, bias: layer.intermediateBias, out: inter, into: up, threads: threads)
            Parallel.rows(t, workers: threads) { r in Kernels.gelu(up + r.lowerBound * inter, count: r.count * inter) }
            linear(up, rows: t, in: inter, weight: layer.output, bias: layer.outputBias, out: h, into: x, threads: threads)
            Parallel.rows(t, workers: threads) { r in
                Kernels.addLayerNorm(x + r.lowerBound * h, residual: q + r.lowerBound * h, rows: r.count, dim: h,
                                     gamma: layer.outputNormGamma, beta: layer.outputNormBeta, eps: config.layerNormEps)
            }
        }
        return pool(x, offsets: offsets)
    }

    /// x[i] = LayerNorm(word[id] + position[pos] + tokenType[0]).
    private func embedTokens(_ sequences: [[Int32]], into x: UnsafeMutablePointer<Float>, threads: Int) {
        let h = config.hiddenSize
        var row = 0
        for ids in sequences {
            for (pos, id) in ids.enumerated() {
                let dst = x + row * h
                let word = weights.wordEmbeddings + Int(id) * h
                let position = weights.positionEmbeddings + pos * h
                let type = weights.tokenTypeEmbeddings
                for j in 0..<h { dst[j] = word[j] + position[j] + type[j] }
                row += 1
            }
        }
        Parallel.rows(row, workers: threads) { r in
            Kernels.addLayerNorm(x + r.lowerBound * h, residual: nil, rows: r.count, dim: h,
                                 gamma: weights.embeddingNormGamma, beta: weights.embeddingNormBeta, eps: config.layerNormEps)
        }
    }

    /// y[rows, out] = x[rows, in] · Wᵀ + b. Many rows are split across the cores by rows; a few rows (one
    /// short query) by output columns, so that both cores share the weights' reading and packing.
    private func linear(
        _ x: UnsafePointer<Float>, rows: Int, in n: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        out m: Int, into y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        let grain = 64
        if rows < 2 * grain && threads > 1 {
            Parallel.rows(m, grain: 128, workers: threads) { c in
                for i in 0..<rows { (y + i * m + c.lowerBound).update(from: bias + c.lowerBound, count: c.count) }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(c.count), Int32(n),
                            1, x, Int32(n), weight + c.lowerBound * n, Int32(n), 1, y + c.lowerBound, Int32(m))
            }
            return
        }
        Parallel.rows(rows, grain: grain, workers: threads) { r in
            let yr = y + r.lowerBound * m
            for i in 0..<r.count { (yr + i * m).update(from: bias, count: m) }
            // Hot: ~all of the FLOPs of the network are in these calls.
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(r.count), Int32(m), Int32(n),
                        1, x + r.lowerBound * n, Int32(n), weight, Int32(n), 1, yr, Int32(m))
        }
    }

    private func linear(
        _ x: UnsafeMutablePointer<Float>, rows: Int, in n: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        out m: Int, into y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        linear(UnsafePointer(x), rows: rows, in: n, weight: weight, bias: bias, out: m, into: y, threads: threads)
    }

    /// Scaled dot-product attention per (sequence, head), the pairs spread across the cores.
    /// `qkv` rows are [Q | K | V], each H wide.
    private func attention(qkv: UnsafeMutablePointer<Float>, offsets: [Int], into ctx: UnsafeMutablePointer<Float>, threads: Int) {
        let h = config.hiddenSize, heads = config.heads, d = config.headSize
        let scale = 1 / Float(d).squareRoot()
        let sequences = offsets.count - 1
        Parallel.each(sequences * heads, workers: threads) { job in
            let s = job / heads, head = job % heads
            let start = offsets[s], len = offsets[s + 1] - offsets[s]
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: len * len)  // [L, L]
            defer { scores.deallocate() }
            let row = qkv + start * 3 * h + head * d
            let (qh, kh, vh) = (row, row + h, row + 2 * h)
            // scores = Q_h · K_hᵀ / √d   ([L, d] · [d, L])
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(len), Int32(len), Int32(d),
                        scale, qh, Int32(3 * h), kh, Int32(3 * h), 0, scores, Int32(len))
            Kernels.softmaxRows(scores, rows: len, cols: len)
            // ctx_h = softmax(scores) · V_h   ([L, L] · [L, d])
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(len), Int32(d), Int32(len),
                        1, scores, Int32(len), vh, Int32(3 * h), 0, ctx + start * h + head * d, Int32(h))
        }
    }

    private func pool(_ x: UnsafeMutablePointer<Float>, offsets: [Int]) -> [[Float]] {
        let h = config.hiddenSize
        return (0..<(offsets.count - 1)).map { s in
            var out = [Float](repeating: 0, count: h)
            let start = offsets[s], end = offsets[s + 1]
            switch config.pooling {
            case .cls:
                for j in 0..<h { out[j] = x[start * h + j] }
            case .mean:
                for row in start..<end {
                    for j in 0..<h { out[j] += x[row * h + j] }
                }
                let inv = 1 / Float(end - start)
                for j in 0..<h { out[j] *= inv }
            }
            if config.normalize {
                let norm = out.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if norm > 0 { for j in 0..<h { out[j] /= norm } }
            }
            return out
        }
    }
}
