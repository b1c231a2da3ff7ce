import CKernels
import CDNNL
import Foundation

/// The number format of the encoder's dense layers (the matrix products that hold ~all of its work).
/// Softmax, LayerNorm, GELU, attention and pooling are float32 in every mode.
public enum Precision: String, Sendable, CaseIterable, Codable {
    /// The fastest format this CPU runs within the quality bar: `bf16` where the CPU has AVX512-BF16, else `fp32`.
    /// `ENGRAM_PRECISION` (fp32 or bf16) overrides it.
    case auto
    /// float32 on OpenBLAS: reproduces the reference implementation to cosine ≥ 0.99999.
    case fp32
    /// bfloat16 inputs and weights, float32 accumulation and outputs, on oneDNN: cosine ≥ 0.999 to fp32,
    /// several times faster on CPUs with AVX512-BF16.
    case bf16

    /// The precision actually run for a request: `auto` resolved through `ENGRAM_PRECISION` and the CPU,
    /// and `bf16` falling back to `fp32` where the CPU (or `features`) lacks the instructions.
    /// The CPU is asked (`CPUFeatures.detect()`, which loads oneDNN) only when bf16 is still in question.
    public static func resolve(
        _ requested: Precision, features: CPUFeatures? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Precision {
        var p = requested
        if p == .auto, let name = environment["ENGRAM_PRECISION"]?.lowercased(), let chosen = Precision(rawValue: name) {
            p = chosen
        }
        if p == .auto { p = .bf16 }
        if p == .bf16 && !(features ?? .detect(environment: environment)).bf16 { p = .fp32 }
        return p
    }
}

/// What the CPU offers the encoder beyond float32.
public struct CPUFeatures: Sendable, Equatable {
    /// AVX512-BF16 (with AVX-512 core), as oneDNN dispatches it.
    public var bf16: Bool

    public init(bf16: Bool) { self.bf16 = bf16 }

    /// Float32 only: the fallback, as on a CPU without the instructions.
    public static let float32 = CPUFeatures(bf16: false)

    /// This CPU's features. `ENGRAM_FORCE_FP32=1` reports none, so the fallback can be run on any machine.
    public static func detect(environment: [String: String] = ProcessInfo.processInfo.environment) -> CPUFeatures {
        if let force = environment["ENGRAM_FORCE_FP32"], force != "0", !force.isEmpty { return .float32 }
        return hardware
    }

    private static let hardware: CPUFeatures = {
        // All must agree: the CPU has the instruction the activation conversion uses, oneDNN can be loaded,
        // and it picks its bf16 kernels.
        guard engram_cpu_has_avx512bf16() != 0, engram_dnnl_available() != 0 else { return .float32 }
        let isa = dnnl_get_effective_cpu_isa().rawValue
        let bf16Kernels = isa & dnnl_cpu_isa_avx512_core_bf16.rawValue == dnnl_cpu_isa_avx512_core_bf16.rawValue
        return CPUFeatures(bf16: bf16Kernels)
    }()
}
