import ArgumentParser
import EngramEmbedding
import Foundation

extension Precision: ExpressibleByArgument {}

/// `--precision`, shared by the commands that embed in bulk.
enum PrecisionOption {
    static let help = ArgumentHelp(
        "Dense-layer number format: auto (bf16 where the CPU has AVX512-BF16, else fp32), bf16 or fp32.",
        discussion: "auto follows $ENGRAM_PRECISION when it is set.")

    /// Loads the encoder in `precision`, saying so on standard error when the CPU cannot run the format asked for.
    static func encoder(model: String?, precision: Precision) throws -> SentenceEncoder {
        let encoder = try SentenceEncoder(folder: ModelStore.resolve(model), precision: precision)
        if precision == .bf16 && encoder.precision != .bf16 {
            Terminal.warn("this CPU has no AVX512-BF16 (or ENGRAM_FORCE_FP32 is set): running fp32")
        }
        return encoder
    }

    /// The encoder for a few short queries: fp32 unless $ENGRAM_PRECISION asks otherwise. Packing the
    /// weights for bf16 costs a process more at start than bf16 saves on a query of a few tokens.
    static func queryEncoder(model: String?) throws -> SentenceEncoder {
        let chosen = ProcessInfo.processInfo.environment["ENGRAM_PRECISION"].flatMap { Precision(rawValue: $0) }
        return try SentenceEncoder(folder: ModelStore.resolve(model), precision: chosen ?? .fp32)
    }
}
