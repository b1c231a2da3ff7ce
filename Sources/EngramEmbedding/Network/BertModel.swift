import CKernels
import CBLAS
import Foundation

/// The BERT encoder's forward pass: dense layers in fp32 on OpenBLAS or in bf16 on oneDNN (`precision`),
/// everything else (attention, softmax, LayerNorm, GELU, pooling) in fp32. The bf16 path also takes
/// attention's products to oneDNN and softmax to an AVX-512 kernel; the fp32 path is OpenBLAS and Swift only.
///
/// A batch is *packed*: the tokens of all its sequences are stacked into one `[T, H]` matrix with
/// no padding, so every dense layer is one matrix product over T rows and only attention looks at
/// sequence boundaries. Padding therefore cannot change an embedding, and costs nothing.
/// (The bf16 products run in tiles of 64 rows, so their buffers have T rounded up to a tile; those
/// extra rows are zeros in, ignored out.)
public final class BertModel: @unchecked Sendable {
    public let config: ModelConfig
    /// The format of the dense layers: `.fp32` or `.bf16`, never `.auto`.
    public let precision: Precision
    let weights: BertWeights
    /// The dense layers packed for oneDNN, one entry per encoder layer; empty in fp32.
    private let packed: [PackedLayer]
    /// Attention on oneDNN with the AVX-512 softmax, alongside the bf16 dense layers; nil in fp32.
    private let fastAttention: DNNLAttention?

    struct PackedLayer {
        let qkv, attentionOut, intermediate, output: BF16Linear
    }

    init(config: ModelConfig, weights: BertWeights, precision: Precision) throws {
        precondition(precision != .auto, "resolve the precision first")
        self.config = config
        self.weights = weights
        self.precision = precision
        let h = config.hiddenSize, inter = config.intermediateSize
        packed = precision == .bf16 ? try Self.parallelMap(weights.layers) { l in
            PackedLayer(
                qkv: try Self.stacked([(l.query, l.queryBias), (l.key, l.keyBias), (l.value, l.valueBias)], rows: h, columns: h) {
                    try BF16Linear(weight: $0, bias: $1, outputs: 3 * h, inputs: h)
                },
                attentionOut: try BF16Linear(weight: l.attentionOut, bias: l.attentionOutBias, outputs: h, inputs: h),
                // GELU runs in the product's epilogue, and its output is already the next product's bf16 input.
                intermediate: try BF16Linear(weight: l.intermediate, bias: l.intermediateBias, outputs: inter, inputs: h,
                                             gelu: true, bf16Output: true),
                output: try BF16Linear(weight: l.output, bias: l.outputBias, outputs: h, inputs: inter))
        } : []
        fastAttention = precision == .bf16 && engram_cpu_has_avx512f() != 0
            ? try DNNLAttention(hidden: h, headSize: config.headSize) : nil
        BLASThreads.single
    }

    /// Calls `body` with the [n·rows, columns] matrix and [n·rows] bias of `parts` stacked, so that query,
    /// key and value are packed as one product; the stacked copy lives only for the call.
    private static func stacked<T>(_ parts: [(UnsafePointer<Float>, UnsafePointer<Float>)], rows: Int, columns: Int,
                                   _ body: (UnsafePointer<Float>, UnsafePointer<Float>) throws -> T) rethrows -> T {
        let weight = UnsafeMutablePointer<Float>.allocate(capacity: parts.count * rows * columns)
        let bias = UnsafeMutablePointer<Float>.allocate(capacity: parts.count * rows)
        defer { weight.deallocate(); bias.deallocate() }
        for (i, (w, b)) in parts.enumerated() {
            (weight + i * rows * columns).update(from: w, count: rows * columns)
            (bias + i * rows).update(from: b, count: rows)
        }
        return try body(weight, bias)
    }

    /// `transform` over `items` on all cores, in order: packing a layer's weights is independent of the others.
    private static func parallelMap<T, U>(_ items: [T], _ transform: (T) throws -> U) throws -> [U] {
        var results = [Result<U, Error>?](repeating: nil, count: items.count)
        results.withUnsafeMutableBufferPointer { out in
            let out = out
            Parallel.each(items.count) { i in out[i] = Result { try transform(items[i]) } }
        }
        return try results.map { try $0!.get() }
    }

    /// Runs the encoder on sequences of token ids and returns one pooled (and, if the model says so,
    /// L2-normalised) vector per sequence. `threads` bounds the cores this call spreads over; callers
    /// that run several batches side by side pass 1.
    func embed(_ sequences: [[Int32]], threads: Int = Parallel.workers) -> [[Float]] {
        let h = config.hiddenSize, inter = config.intermediateSize
        let offsets = sequences.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let t = offsets.last!
        guard t > 0 else { return [] }
        let bf16 = precision == .bf16
        let tile = BF16Linear.tile
        let tp = bf16 ? (t + tile - 1) / tile * tile : t  // rows allocated

        let x = UnsafeMutablePointer<Float>.allocate(capacity: tp * h)       // [T, H] hidden state
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: tp * 3 * h) // [T, 3H]: Q | K | V per row
        let q = UnsafeMutablePointer<Float>.allocate(capacity: tp * h)       // [T, H] (attention output block)
        let ctx = UnsafeMutablePointer<Float>.allocate(capacity: tp * h)     // [T, H]
        let up = UnsafeMutablePointer<Float>.allocate(capacity: bf16 ? 0 : t * inter)  // [T, I] (fp32)
        let xb = UnsafeMutablePointer<UInt16>.allocate(capacity: bf16 ? tp * h : 0)       // [T, H] bf16 input of a product
        let upb = UnsafeMutablePointer<UInt16>.allocate(capacity: bf16 ? tp * inter : 0)  // [T, I] (bf16)
        defer { [x, qkv, q, ctx, up].forEach { $0.deallocate() }; [xb, upb].forEach { $0.deallocate() } }

        embedTokens(sequences, into: x, threads: threads)
        for (l, layer) in weights.layers.enumerated() {
            // qkv[T, 3H] = x · Wqkvᵀ + bqkv
            if bf16 {
                linear(x, rows: t, packed: packed[l].qkv, scratch: xb, into: qkv, threads: threads)
            } else {
                // Three products into the column blocks of qkv: the weights are used where they are mapped.
                for (block, (w, b)) in [(layer.query, layer.queryBias), (layer.key, layer.keyBias), (layer.value, layer.valueBias)].enumerated() {
                    linear(x, rows: t, in: h, weight: w, bias: b, out: h, into: qkv + block * h, stride: 3 * h, threads: threads)
                }
            }
            attention(qkv: qkv, offsets: offsets, into: ctx, threads: threads)
            // q[T, H] ← LayerNorm(ctx·Woᵀ + bo + x)
            if bf16 {
                linear(ctx, rows: t, packed: packed[l].attentionOut, scratch: xb, into: q, threads: threads)
            } else {
                linear(ctx, rows: t, in: h, weight: layer.attentionOut, bias: layer.attentionOutBias, out: h, into: q, threads: threads)
            }
            Parallel.rows(t, workers: threads) { r in
                Kernels.addLayerNorm(q + r.lowerBound * h, residual: x + r.lowerBound * h, rows: r.count, dim: h,
                                     gamma: layer.attentionNormGamma, beta: layer.attentionNormBeta, eps: config.layerNormEps)
            }
            // up[T, I] = GELU(q · Wiᵀ + bi); then x[T, H] = up · Wdᵀ + bd
            if bf16 {
                // up stays bf16 ([T, I] in upb): the down projection reads it as it is.
                linear(q, rows: t, packed: packed[l].intermediate, scratch: xb, into: UnsafeMutableRawPointer(upb), threads: threads)
                linear(bf16: upb, rows: t, packed: packed[l].output, into: UnsafeMutableRawPointer(x), threads: threads)
            } else {
                linear(q, rows: t, in: h, weight: layer.intermediate, bias: layer.intermediateBias, out: inter, into: up, threads: threads)
                Parallel.rows(t, workers: threads) { r in Kernels.gelu(up + r.lowerBound * inter, count: r.count * inter) }
                linear(up, rows: t, in: inter, weight: layer.output, bias: layer.outputBias, out: h, into: x, threads: threads)
            }
            // x ← LayerNorm(x + q)
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

    /// y[rows, out] = x[rows, in] · Wᵀ + b, y's rows `stride` floats apart (default `out`). Many rows are
    /// split across the cores by rows; a few rows (one short query) by output columns, so that both cores
    /// share the weights' reading and packing.
    private func linear(
        _ x: UnsafePointer<Float>, rows: Int, in n: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        out m: Int, into y: UnsafeMutablePointer<Float>, stride: Int? = nil, threads: Int
    ) {
        let grain = 64, ld = stride ?? m
        if rows < 2 * grain && threads > 1 {
            Parallel.rows(m, grain: 128, workers: threads) { c in
                for i in 0..<rows { (y + i * ld + c.lowerBound).update(from: bias + c.lowerBound, count: c.count) }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(c.count), Int32(n),
                            1, x, Int32(n), weight + c.lowerBound * n, Int32(n), 1, y + c.lowerBound, Int32(ld))
            }
            return
        }
        Parallel.rows(rows, grain: grain, workers: threads) { r in
            let yr = y + r.lowerBound * ld
            for i in 0..<r.count { (yr + i * ld).update(from: bias, count: m) }
            // Hot: ~all of the FLOPs of the network are in these calls.
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(r.count), Int32(m), Int32(n),
                        1, x + r.lowerBound * n, Int32(n), weight, Int32(n), 1, yr, Int32(ld))
        }
    }

    private func linear(
        _ x: UnsafeMutablePointer<Float>, rows: Int, in n: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
        out m: Int, into y: UnsafeMutablePointer<Float>, stride: Int? = nil, threads: Int
    ) {
        linear(UnsafePointer(x), rows: rows, in: n, weight: weight, bias: bias, out: m, into: y, stride: stride, threads: threads)
    }

    /// y[rows, out] = x[rows, in] · Wᵀ + b in bf16: x is rounded to bf16 into `xb`, then multiplied by the
    /// packed weights with float32 accumulation. Tiles of rows are split across the cores; both buffers hold
    /// `rows` rounded up to a whole tile, and the padding rows of `xb` are zeroed so that they stay finite.
    private func linear(
        _ x: UnsafeMutablePointer<Float>, rows: Int, packed w: BF16Linear, scratch xb: UnsafeMutablePointer<UInt16>,
        into y: UnsafeMutableRawPointer, threads: Int
    ) {
        let tile = BF16Linear.tile, n = w.inputs
        let tiles = (rows + tile - 1) / tile
        Parallel.rows(tiles, grain: 1, workers: threads) { r in
            let lo = r.lowerBound * tile, hi = min(r.upperBound * tile, rows)
            engram_f32_to_bf16(x + lo * n, xb + lo * n, (hi - lo) * n)
            if r.upperBound == tiles { (xb + hi * n).update(repeating: 0, count: (tiles * tile - hi) * n) }
            w.apply(xb, tiles: r, into: y)
        }
    }

    private func linear(
        _ x: UnsafeMutablePointer<Float>, rows: Int, packed w: BF16Linear, scratch xb: UnsafeMutablePointer<UInt16>,
        into y: UnsafeMutablePointer<Float>, threads: Int
    ) {
        linear(x, rows: rows, packed: w, scratch: xb, into: UnsafeMutableRawPointer(y), threads: threads)
    }

    /// y = x · Wᵀ + b for an input already in bf16 (rows padded to whole tiles by the product that wrote it).
    private func linear(bf16 x: UnsafeMutablePointer<UInt16>, rows: Int, packed w: BF16Linear, into y: UnsafeMutableRawPointer,
                        threads: Int) {
        let tiles = (rows + BF16Linear.tile - 1) / BF16Linear.tile
        Parallel.rows(tiles, grain: 1, workers: threads) { r in w.apply(x, tiles: r, into: y) }
    }

    /// Scaled dot-product attention per (sequence, head), the pairs spread across the cores.
    /// `qkv` rows are [Q | K | V], each H wide.
    private func attention(qkv: UnsafeMutablePointer<Float>, offsets: [Int], into ctx: UnsafeMutablePointer<Float>, threads: Int) {
        let h = config.hiddenSize, heads = config.heads, d = config.headSize
        let scale = 1 / Float(d).squareRoot()
        let sequences = offsets.count - 1
        // A job is a whole sequence on oneDNN (head nil), or one head of a sequence on OpenBLAS.
        // oneDNN's first call of a process spends ~0.1 s generating its kernels, so short sequences
        // (queries) stay on OpenBLAS, where they cost little anyway.
        var jobs: [(sequence: Int, head: Int?)] = []
        for s in 0..<sequences {
            if fastAttention != nil && offsets[s + 1] - offsets[s] >= Self.fastAttentionMinLength {
                jobs.append((s, nil))
            } else {
                for head in 0..<heads { jobs.append((s, head)) }
            }
        }
        jobs.sort { ($0.head == nil ? 0 : 1) < ($1.head == nil ? 0 : 1) }  // the big jobs first
        let softmax: (UnsafeMutablePointer<Float>, Int) -> Void = fastAttention == nil
            ? { Kernels.softmaxRows($0, rows: $1, cols: $1) } : { engram_softmax_rows($0, $1, $1) }
        Parallel.each(jobs.count, workers: threads) { j in
            let s = jobs[j].sequence
            let start = offsets[s], len = offsets[s + 1] - offsets[s]
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: len * len)  // [L, L]
            defer { scores.deallocate() }
            guard let head = jobs[j].head else {
                fastAttention!.run(qkv: qkv + start * 3 * h, len: len, heads: heads, scores: scores,
                                   softmax: { softmax($0, len) }, into: ctx + start * h)
                return
            }
            let row = qkv + start * 3 * h + head * d
            let (qh, kh, vh) = (row, row + h, row + 2 * h)
            // scores = Q_h · K_hᵀ / √d   ([L, d] · [d, L])
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(len), Int32(len), Int32(d),
                        scale, qh, Int32(3 * h), kh, Int32(3 * h), 0, scores, Int32(len))
            softmax(scores, len)
            // ctx_h = softmax(scores) · V_h   ([L, L] · [L, d])
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(len), Int32(d), Int32(len),
                        1, scores, Int32(len), vh, Int32(3 * h), 0, ctx + start * h + head * d, Int32(h))
        }
    }

    /// Sequences at least this long take their attention to oneDNN (bf16 path only).
    static let fastAttentionMinLength = 64

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

/// The engine splits work across the cores itself (see `Parallel`), so OpenBLAS runs on the calling thread.
/// Its threaded build starts a worker per core when it is loaded, and an idle worker spins (`sched_yield`)
/// for about a tenth of a second before it sleeps: for the whole of a short search process, one of the two
/// cores busy doing nothing while the query's products want both. So the workers are stopped, once per
/// process, with the call OpenBLAS itself makes before a `fork`; it is looked up at run time, as other
/// BLAS libraries do not have it.
enum BLASThreads {
    static let single: Void = {
        openblas_set_num_threads(1)
        if let stop = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "blas_thread_shutdown_") {
            _ = unsafeBitCast(stop, to: (@convention(c) () -> Int32).self)()
        }
    }()
}
