import CKernels
import EngramEmbedding
import Foundation
import Testing

/// The C kernels of the bf16 path against plain definitions.
@Suite struct KernelTests {
    /// bf16 by round-to-nearest-even of the float's upper half, NaN aside.
    static func reference(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    @Test("float32 → bf16 rounds to nearest even, at every length (vector body and masked tails)")
    func conversion() {
        var rng = SystemRandomNumberGenerator()
        for count in [0, 1, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 100, 384] {
            var src = (0..<count).map { _ in Float.random(in: -40...40, using: &rng) }
            if count > 2 { src[0] = 1.00390625; src[1] = 1.01171875 }  // exact ties: round down to even, then up to even
            var dst = [UInt16](repeating: 0xFFFF, count: count + 1)
            engram_f32_to_bf16(src, &dst, count)
            for i in 0..<count { #expect(dst[i] == Self.reference(src[i]), "count \(count), index \(i)") }
            #expect(dst[count] == 0xFFFF, "wrote past the end at count \(count)")
        }
    }

    @Test("AVX-512 softmax equals the definition", .enabled(if: engram_cpu_has_avx512f() != 0))
    func softmax() {
        for cols in [1, 7, 16, 17, 64, 250] {
            let rows = 3
            let x = (0..<(rows * cols)).map { _ in Float.random(in: -30...30) }
            var y = x
            engram_softmax_rows(&y, rows, cols)
            for r in 0..<rows {
                let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
                let m = row.max()!
                let e = row.map { Foundation.exp($0 - m) }
                let s = e.reduce(0, +)
                for j in 0..<cols {
                    #expect(abs(Double(y[r * cols + j]) - e[j] / s) <= 1e-6, "cols \(cols) row \(r) col \(j)")
                }
            }
        }
    }
}
