import CKernels
import CDNNL
import Foundation

/// A dense layer y = x·Wᵀ + b (optionally y = GELU(x·Wᵀ + b)) with bfloat16 inputs and weights, float32
/// accumulation and a float32 or bfloat16 output, run by oneDNN's AVX512-BF16 kernels (OpenBLAS has none).
///
/// W is converted and packed once, at model load, into the blocked layout oneDNN's kernel reads fastest.
/// Rows go through in tiles of `tile`: oneDNN's fast (brgemm) kernels need the row count fixed when the
/// primitive is made, so one primitive of `tile` rows serves every batch, and callers pad their row
/// buffers to a multiple of `tile` (padding rows cost a little work and are never read back).
/// Each call runs on the calling thread: the model spreads tiles across cores itself (see `Parallel`).
final class BF16Linear: @unchecked Sendable {
    static let tile = 64

    let inputs: Int   // K
    let outputs: Int  // N
    /// Whether y is bfloat16 (the input of the next product, so it is rounded once, here) rather than float32.
    let bf16Output: Bool
    private let primitive: dnnl_primitive_t
    private let packedWeights: dnnl_memory_t
    private let weightStorage: UnsafeMutableRawPointer
    private let bias: dnnl_memory_t
    /// The bias, copied: the caller's may be a temporary (query, key and value stacked for packing).
    private let biasStorage: UnsafeMutablePointer<Float>
    private var srcDesc = dnnl_memory_desc_t()  // [tile, K] bf16, row-major
    private var dstDesc = dnnl_memory_desc_t()  // [tile, N] f32 or bf16, row-major
    private var scratchDesc = dnnl_memory_desc_t()
    private let scratchBytes: Int

    /// `weight` is PyTorch's [N, K] float32 (that is, Wᵀ as a [K, N] matrix in column-major order); `bias` [N].
    /// `gelu` applies the exact (erf) GELU to the output in float32, inside the product's epilogue.
    init(weight: UnsafePointer<Float>, bias biasValues: UnsafePointer<Float>, outputs n: Int, inputs k: Int,
         gelu: Bool = false, bf16Output: Bool = false) throws {
        let engine = try DNNL.engine()
        inputs = k
        outputs = n
        self.bf16Output = bf16Output
        let tile = Int64(Self.tile)
        var weightAny = dnnl_memory_desc_t(), biasDesc = dnnl_memory_desc_t()
        try DNNL.check(dnnl_memory_desc_init_by_tag(&srcDesc, 2, [tile, Int64(k)], dnnl_bf16, dnnl_ab), "source layout")
        try DNNL.check(dnnl_memory_desc_init_by_tag(&weightAny, 2, [Int64(k), Int64(n)], dnnl_bf16, dnnl_format_tag_any), "weight layout")
        try DNNL.check(dnnl_memory_desc_init_by_tag(&biasDesc, 2, [1, Int64(n)], dnnl_f32, dnnl_ab), "bias layout")
        try DNNL.check(dnnl_memory_desc_init_by_tag(&dstDesc, 2, [tile, Int64(n)], bf16Output ? dnnl_bf16 : dnnl_f32, dnnl_ab), "output layout")

        var op = dnnl_matmul_desc_t()
        try DNNL.check(dnnl_matmul_desc_init(&op, &srcDesc, &weightAny, &biasDesc, &dstDesc), "matmul")
        // User scratchpad: each call brings its own, so one primitive can run on several threads at once.
        var attr: dnnl_primitive_attr_t?
        try DNNL.check(dnnl_primitive_attr_create(&attr), "attributes")
        defer { dnnl_primitive_attr_destroy(attr) }
        try DNNL.check(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user), "scratchpad mode")
        if gelu {
            var ops: dnnl_post_ops_t?
            try DNNL.check(dnnl_post_ops_create(&ops), "post-ops")
            defer { dnnl_post_ops_destroy(ops) }
            try DNNL.check(dnnl_post_ops_append_eltwise(ops, 1, dnnl_eltwise_gelu_erf, 0, 0), "GELU")
            try DNNL.check(dnnl_primitive_attr_set_post_ops(attr, ops), "post-ops")
        }
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(dnnl_primitive_desc_create(&pd, &op, attr, engine, nil), "matmul for \(k)→\(n)")
        defer { dnnl_primitive_desc_destroy(pd) }
        var p: dnnl_primitive_t?
        try DNNL.check(dnnl_primitive_create(&p, pd), "matmul primitive")
        primitive = p!
        scratchDesc = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0).pointee
        scratchBytes = dnnl_memory_desc_get_size(&scratchDesc)

        // Pack W: float32 [K, N] read column-major ("ba") → the primitive's bf16 layout, once.
        var weightDesc = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0).pointee
        var plainDesc = dnnl_memory_desc_t()
        try DNNL.check(dnnl_memory_desc_init_by_tag(&plainDesc, 2, [Int64(k), Int64(n)], dnnl_f32, dnnl_ba), "plain weights")
        weightStorage = UnsafeMutableRawPointer.allocate(byteCount: max(dnnl_memory_desc_get_size(&weightDesc), 64), alignment: 64)
        var plain: dnnl_memory_t?, packed: dnnl_memory_t?, biasMemory: dnnl_memory_t?
        try DNNL.check(dnnl_memory_create(&plain, &plainDesc, engine, UnsafeMutableRawPointer(mutating: weight)), "weights")
        defer { dnnl_memory_destroy(plain) }
        try DNNL.check(dnnl_memory_create(&packed, &weightDesc, engine, weightStorage), "packed weights")
        packedWeights = packed!
        biasStorage = UnsafeMutablePointer<Float>.allocate(capacity: n)
        biasStorage.update(from: biasValues, count: n)
        try DNNL.check(dnnl_memory_create(&biasMemory, &biasDesc, engine, biasStorage), "bias")
        bias = biasMemory!
        try DNNL.reorder(from: plain!, plainDesc, to: packedWeights, weightDesc, engine: engine)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_memory_destroy(packedWeights)
        dnnl_memory_destroy(bias)
        weightStorage.deallocate()
        biasStorage.deallocate()
    }

    /// y[r, N] = x[r, K] · Wᵀ + b for the rows of tiles `tiles` (tile i is rows i·tile ..< (i+1)·tile).
    /// `x` is bf16 and `y` float32 (bf16 if `bf16Output`), both row-major with at least `tiles.upperBound · tile` rows.
    func apply(_ x: UnsafeMutablePointer<UInt16>, tiles: Range<Int>, into y: UnsafeMutableRawPointer) {
        guard !tiles.isEmpty else { return }
        DNNL.singleThreaded()
        let engine = try! DNNL.engine()
        var stream: dnnl_stream_t?, src: dnnl_memory_t?, dst: dnnl_memory_t?, scratch: dnnl_memory_t?
        let scratchStorage = UnsafeMutableRawPointer.allocate(byteCount: max(scratchBytes, 64), alignment: 64)
        defer { scratchStorage.deallocate() }
        DNNL.must(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        DNNL.must(dnnl_memory_create(&src, &srcDesc, engine, x), "source")
        DNNL.must(dnnl_memory_create(&dst, &dstDesc, engine, y), "output")
        DNNL.must(dnnl_memory_create(&scratch, &scratchDesc, engine, scratchStorage), "scratchpad")
        defer { dnnl_memory_destroy(src); dnnl_memory_destroy(dst); dnnl_memory_destroy(scratch); dnnl_stream_destroy(stream) }
        var args = [
            dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: src), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: packedWeights),
            dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: bias), dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: dst),
            dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: scratch),
        ]
        for t in tiles {
            DNNL.must(dnnl_memory_set_data_handle(src, x + t * Self.tile * inputs), "source rows")
            DNNL.must(dnnl_memory_set_data_handle(dst, y + t * Self.tile * outputs * (bf16Output ? 2 : 4)), "output rows")
            DNNL.must(dnnl_primitive_execute(primitive, stream, Int32(args.count), &args), "matmul")
        }
        DNNL.must(dnnl_stream_wait(stream), "stream wait")
    }
}

/// The process's oneDNN CPU engine and small helpers around the C API.
enum DNNL {
    // oneDNN engines are safe to share across threads; the handle itself is never mutated.
    nonisolated(unsafe) private static let shared: Result<dnnl_engine_t, Error> = Result {
        var e: dnnl_engine_t?
        try check(dnnl_engine_create(&e, dnnl_cpu, 0), "CPU engine")
        return e!
    }

    static func engine() throws -> dnnl_engine_t { try shared.get() }

    static func check(_ status: dnnl_status_t, _ what: String) throws {
        guard status == dnnl_success else { throw EmbeddingError.backend("oneDNN: \(what) failed (status \(status.rawValue))") }
    }

    /// For calls whose arguments were validated when the primitive was made: failing there is a bug.
    static func must(_ status: dnnl_status_t, _ what: String) {
        precondition(status == dnnl_success, "oneDNN: \(what) failed (status \(status.rawValue))")
    }

    static func reorder(from: dnnl_memory_t, _ fromDesc: dnnl_memory_desc_t, to: dnnl_memory_t, _ toDesc: dnnl_memory_desc_t,
                        engine: dnnl_engine_t) throws {
        singleThreaded()
        var (f, t) = (fromDesc, toDesc)
        var pd: dnnl_primitive_desc_t?, p: dnnl_primitive_t?, stream: dnnl_stream_t?
        try check(dnnl_reorder_primitive_desc_create(&pd, &f, engine, &t, engine, nil), "weight packing")
        defer { dnnl_primitive_desc_destroy(pd) }
        try check(dnnl_primitive_create(&p, pd), "weight packing primitive")
        defer { dnnl_primitive_destroy(p) }
        try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "stream")
        defer { dnnl_stream_destroy(stream) }
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: from), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: to)]
        try check(dnnl_primitive_execute(p, stream, Int32(args.count), &args), "weight packing")
        try check(dnnl_stream_wait(stream), "weight packing")
    }

    /// Debian's oneDNN runs its kernels on OpenMP, whose default team is every core. The model already puts
    /// one batch (or one block of rows) on each core, so a nested team would only oversubscribe them:
    /// this thread's team is set to one. (OpenMP's thread count is per calling thread; looked up at run
    /// time because libgomp comes in through libdnnl, not as a library of its own on the link line.)
    static func singleThreaded() {
        setOMPThreads?(1)
    }

    private static let setOMPThreads: (@convention(c) (Int32) -> Void)? = {
        // libgomp is oneDNN's, in the process once oneDNN is.
        guard engram_dnnl_available() != 0, let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "omp_set_num_threads") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Void).self)
    }()
}
