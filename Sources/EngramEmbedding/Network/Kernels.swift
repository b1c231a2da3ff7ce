import Foundation

/// The element-wise hot loops of the forward pass, written over `SIMD16<Float>` so that they
/// vectorise (a scalar libm `erf`/`exp` per element would cost as much as the matrix products).
enum Kernels {
    typealias V = SIMD16<Float>

    /// exp(x) for x ≤ 88, Cephes-style: 2^n · p(r) with r = x − n·ln2; about 1 ulp.
    /// n is rounded with the 1.5·2²³ trick, whose bit pattern also carries n for building 2^n
    /// (the generic float→int SIMD conversion does not vectorise).
    @inline(__always)
    static func exp(_ x: V) -> V {
        let x = clamp(x, -87.3, 88.3)
        let shifted = x * 1.442_695_04 + 12_582_912  // n + 1.5·2²³, n = round(x·log₂e)
        let n = shifted - 12_582_912
        var r = x - n * 0.693_359_375
        r = r + n * 2.121_944_4e-4
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_1e-1
        p = p * (r * r) + r + 1
        let nBits = unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((nBits &+ 127) &<< 23, to: V.self)
        return p * scale
    }

    /// Lane-wise clamp through masks (`clamped(lowerBound:upperBound:)` checks lanes one by one).
    @inline(__always)
    static func clamp(_ x: V, _ lo: Float, _ hi: Float) -> V {
        let low = V(repeating: lo), high = V(repeating: hi)
        return x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    }

    /// erf(x) as a rational approximation on [-4, 4] (outside it erf is ±1 in float32).
    @inline(__always)
    static func erf(_ x: V) -> V {
        let x = clamp(x, -4, 4)
        let x2 = x * x
        var p = V(repeating: -2.726_142_25e-10)
        p = p * x2 + 2.770_681_42e-08
        p = p * x2 - 2.101_024_02e-06
        p = p * x2 - 5.692_506_39e-05
        p = p * x2 - 7.349_906_30e-04
        p = p * x2 - 2.954_599_80e-03
        p = p * x2 - 1.609_603_33e-02
        p = p * x
        var q = V(repeating: -1.456_607_18e-05)
        q = q * x2 - 2.133_740_55e-04
        q = q * x2 - 1.682_826_97e-03
        q = q * x2 - 7.373_329_16e-03
        q = q * x2 - 1.426_473_90e-02
        return p / q
    }

    /// GELU in its erf form: x · ½(1 + erf(x/√2)), in place.
    static func gelu(_ p: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeMutableRawPointer(p)
        var i = 0
        while i + 16 <= count {
            let x = raw.loadUnaligned(fromByteOffset: i * 4, as: V.self)
            let y = x * 0.5 * (1 + erf(x * 0.707_106_781))
            raw.storeBytes(of: y, toByteOffset: i * 4, as: V.self)
            i += 16
        }
        while i < count {
            let x = p[i]
            p[i] = x * 0.5 * (1 + Foundation.erf(x * 0.707_106_781))
            i += 1
        }
    }

    /// Row-wise softmax of a `rows × cols` matrix, in place.
    static func softmaxRows(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int) {
        let vectorEnd = cols & ~15
        for r in 0..<rows {
            let row = p + r * cols
            let raw = UnsafeMutableRawPointer(row)
            var maxV = V(repeating: -.infinity)
            var j = 0
            while j < vectorEnd {
                let x = raw.loadUnaligned(fromByteOffset: j * 4, as: V.self)
                maxV = maxV.replacing(with: x, where: x .> maxV)
                j += 16
            }
            var m = maxV.max()
            while j < cols { m = Swift.max(m, row[j]); j += 1 }

            var sumV = V()
            j = 0
            while j < vectorEnd {
                let e = exp(raw.loadUnaligned(fromByteOffset: j * 4, as: V.self) - m)
                raw.storeBytes(of: e, toByteOffset: j * 4, as: V.self)
                sumV += e
                j += 16
            }
            var sum = sumV.sum()
            while j < cols {
                let e = Foundation.exp(row[j] - m)
                row[j] = e
                sum += e
                j += 1
            }
            let inv = 1 / sum
            j = 0
            while j < vectorEnd {
                let x = raw.loadUnaligned(fromByteOffset: j * 4, as: V.self) * inv
                raw.storeBytes(of: x, toByteOffset: j * 4, as: V.self)
                j += 16
            }
            while j < cols { row[j] *= inv; j += 1 }
        }
    }

    /// x ← LayerNorm(x + residual) · γ + β over rows of width `dim`.
    static func addLayerNorm(
        _ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int, dim: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float
    ) {
        for r in 0..<rows {
            let row = x + r * dim
            if let residual {
                let res = residual + r * dim
                for j in 0..<dim { row[j] += res[j] }
            }
            let mean = sum(row, dim) / Float(dim)
            var varSum: Float = 0
            var j = 0
            let raw = UnsafeMutableRawPointer(row)
            var acc = V()
            while j + 16 <= dim {
                let d = raw.loadUnaligned(fromByteOffset: j * 4, as: V.self) - mean
                acc += d * d
                j += 16
            }
            varSum = acc.sum()
            while j < dim { let d = row[j] - mean; varSum += d * d; j += 1 }
            let inv = 1 / (varSum / Float(dim) + eps).squareRoot()
            for k in 0..<dim { row[k] = (row[k] - mean) * inv * gamma[k] + beta[k] }
        }
    }

    @inline(__always)
    static func sum(_ p: UnsafePointer<Float>, _ n: Int) -> Float {
        let raw = UnsafeRawPointer(p)
        var acc = V()
        var j = 0
        while j + 16 <= n { acc += raw.loadUnaligned(fromByteOffset: j * 4, as: V.self); j += 16 }
        var s = acc.sum()
        while j < n { s += p[j]; j += 1 }
        return s
    }

    static func sum(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Float { sum(UnsafePointer(p), n) }
}
