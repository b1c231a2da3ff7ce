import CDNNL
import Foundation

/// The two products of scaled dot-product attention for one (sequence, head), in float32 on oneDNN:
/// scores[L, L] = Q_h · K_hᵀ / √d, then ctx_h[L, d] = P · V_h. Used with the bf16 dense layers, where
/// these small products are the next largest cost: oneDNN's AVX-512 kernels run them about twice as fast
/// as Debian's OpenBLAS here. L varies by sequence, so the primitives take it at run time ("runtime dims"),
/// and Q, K, V are read in place from the [T, 3H] projection (row stride 3H).
final class DNNLAttention: @unchecked Sendable {
    private let scoresPrimitive: dnnl_primitive_t  // [L, d] · [d, L] → [L, L]
    private let contextPrimitive: dnnl_primitive_t // [L, L] · [L, d] → [L, d]
    private let hidden: Int, headSize: Int

    init(hidden h: Int, headSize d: Int) throws {
        let engine = try DNNL.engine()
        hidden = h
        headSize = d
        let rt = Int64.min  // DNNL_RUNTIME_DIM_VAL
        let (hh, dd) = (Int64(h), Int64(d))
        // scores = scale · Q · Kᵀ. Q rows and K rows are 3H apart; Kᵀ is K read column-wise.
        scoresPrimitive = try Self.matmul(
            engine: engine, src: ([rt, dd], [3 * hh, 1]), weights: ([dd, rt], [1, 3 * hh]), dst: ([rt, rt], [rt, 1]),
            scale: 1 / Float(d).squareRoot())
        // ctx = P · V, written into the head's columns of the [T, H] context.
        contextPrimitive = try Self.matmul(
            engine: engine, src: ([rt, rt], [rt, 1]), weights: ([rt, dd], [3 * hh, 1]), dst: ([rt, dd], [hh, 1]), scale: nil)
    }

    deinit {
        dnnl_primitive_destroy(scoresPrimitive)
        dnnl_primitive_destroy(contextPrimitive)
    }

    private static func matmul(
        engine: dnnl_engine_t, src: ([Int64], [Int64]), weights: ([Int64], [Int64]), dst: ([Int64], [Int64]), scale: Float?
    ) throws -> dnnl_primitive_t {
        var a = dnnl_memory_desc_t(), b = dnnl_memory_desc_t(), c = dnnl_memory_desc_t()
        try DNNL.check(dnnl_memory_desc_init_by_strides(&a, 2, src.0, dnnl_f32, src.1), "attention layout")
        try DNNL.check(dnnl_memory_desc_init_by_strides(&b, 2, weights.0, dnnl_f32, weights.1), "attention layout")
        try DNNL.check(dnnl_memory_desc_init_by_strides(&c, 2, dst.0, dnnl_f32, dst.1), "attention layout")
        var op = dnnl_matmul_desc_t()
        try DNNL.check(dnnl_matmul_desc_init(&op, &a, &b, nil, &c), "attention matmul")
        var attr: dnnl_primitive_attr_t?
        try DNNL.check(dnnl_primitive_attr_create(&attr), "attributes")
        defer { dnnl_primitive_attr_destroy(attr) }
        try DNNL.check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode")
        if var s = scale { try DNNL.check(dnnl_primitive_attr_set_output_scales(attr, 1, 0, &s), "attention scale") }
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(dnnl_primitive_desc_create(&pd, &op, attr, engine, nil), "attention matmul")
        defer { dnnl_primitive_desc_destroy(pd) }
        // gemm-based matmul with runtime shapes needs no scratchpad; refuse one rather than share it between threads.
        guard dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0)) == 0 else {
            throw EmbeddingError.backend("oneDNN: attention matmul wants a scratchpad")
        }
        var p: dnnl_primitive_t?
        try DNNL.check(dnnl_primitive_create(&p, pd), "attention primitive")
        return p!
    }

    /// Runs every head of one sequence of `len` tokens: `qkv` points at its first row of [Q | K | V] (each H wide),
    /// `ctx` at its first row of the [T, H] context, `scores` at room for L × L floats.
    func run(qkv: UnsafeMutablePointer<Float>, len: Int, heads: Int, scores: UnsafeMutablePointer<Float>,
             softmax: (UnsafeMutablePointer<Float>) -> Void, into ctx: UnsafeMutablePointer<Float>) {
        DNNL.singleThreaded()
        let engine = try! DNNL.engine()
        let (l, h, d) = (Int64(len), Int64(hidden), Int64(headSize))
        var stream: dnnl_stream_t?
        DNNL.must(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        defer { dnnl_stream_destroy(stream) }
        func memory(_ dims: [Int64], _ strides: [Int64], _ p: UnsafeMutableRawPointer) -> dnnl_memory_t {
            var md = dnnl_memory_desc_t(), m: dnnl_memory_t?
            DNNL.must(dnnl_memory_desc_init_by_strides(&md, 2, dims, dnnl_f32, strides), "attention layout")
            DNNL.must(dnnl_memory_create(&m, &md, engine, p), "attention memory")
            return m!
        }
        let q = memory([l, d], [3 * h, 1], qkv), kT = memory([d, l], [1, 3 * h], qkv + hidden)
        let s = memory([l, l], [l, 1], scores)
        let v = memory([l, d], [3 * h, 1], qkv + 2 * hidden), c = memory([l, d], [h, 1], ctx)
        defer { [q, kT, s, v, c].forEach { dnnl_memory_destroy($0) } }
        var scoreArgs = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: q), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: kT),
                         dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: s)]
        var contextArgs = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: s), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: v),
                           dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: c)]
        for head in 0..<heads {
            let o = head * headSize
            DNNL.must(dnnl_memory_set_data_handle(q, qkv + o), "Q")
            DNNL.must(dnnl_memory_set_data_handle(kT, qkv + hidden + o), "K")
            DNNL.must(dnnl_memory_set_data_handle(v, qkv + 2 * hidden + o), "V")
            DNNL.must(dnnl_memory_set_data_handle(c, ctx + o), "context")
            DNNL.must(dnnl_primitive_execute(scoresPrimitive, stream, Int32(scoreArgs.count), &scoreArgs), "scores")
            DNNL.must(dnnl_stream_wait(stream), "scores")
            softmax(scores)
            DNNL.must(dnnl_primitive_execute(contextPrimitive, stream, Int32(contextArgs.count), &contextArgs), "context")
        }
        DNNL.must(dnnl_stream_wait(stream), "context")
    }
}
