import Foundation

/// Chunk vectors (those outside the search segment, or all of a small index's) in one contiguous row-major `[rows, dimension]` matrix,
/// scanned exactly (no approximation) with explicit SIMD.
public struct VectorIndex: Sendable {
    public let dimension: Int
    public let chunkIDs: [Int64]
    public let documentIDs: [Int64]
    let matrix: [Float]
    private let rowOf: [Int64: Int]

    public var count: Int { chunkIDs.count }

    /// The row of a chunk.
    public func row(ofChunk id: Int64) -> Int? { rowOf[id] }

    public init(dimension: Int, chunkIDs: [Int64], documentIDs: [Int64], matrix: [Float]) {
        precondition(matrix.count == chunkIDs.count * dimension)
        self.dimension = dimension
        self.chunkIDs = chunkIDs
        self.documentIDs = documentIDs
        self.matrix = matrix
        rowOf = Dictionary(chunkIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// One row of the matrix.
    public func row(_ r: Int) -> [Float] {
        Array(matrix[(r * dimension)..<((r + 1) * dimension)])
    }

    /// Dot product of `query` with every row (cosine, since rows and query are unit vectors).
    public func scores(_ query: [Float]) -> [Float] {
        precondition(query.count == dimension)
        var out = [Float](repeating: 0, count: count)
        let rows = count, dim = dimension
        matrix.withUnsafeBufferPointer { m in
            query.withUnsafeBufferPointer { q in
                out.withUnsafeMutableBufferPointer { o in
                    let (mp, qp, op) = (m.baseAddress!, q.baseAddress!, o.baseAddress!)
                    // Memory-bound: two cores help only past a few thousand rows.
                    let parts = rows >= 20_000 ? 2 : 1
                    let scan = { (lo: Int, hi: Int) in
                        for r in lo..<hi { op[r] = Self.dot(mp + r * dim, qp, dim) }
                    }
                    if parts == 1 {
                        scan(0, rows)
                    } else {
                        let box = UncheckedBox(scan)
                        DispatchQueue.concurrentPerform(iterations: parts) { p in
                            box.value(rows * p / parts, rows * (p + 1) / parts)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Hot loop: 16-lane SIMD with two accumulators (a scalar loop cannot be reordered by the compiler).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        typealias V = SIMD16<Float>
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var acc0 = V(), acc1 = V()
        var i = 0
        while i + 32 <= n {
            acc0 += ra.loadUnaligned(fromByteOffset: i * 4, as: V.self) * rb.loadUnaligned(fromByteOffset: i * 4, as: V.self)
            acc1 += ra.loadUnaligned(fromByteOffset: (i + 16) * 4, as: V.self) * rb.loadUnaligned(fromByteOffset: (i + 16) * 4, as: V.self)
            i += 32
        }
        var s = (acc0 + acc1).sum()
        while i < n { s += a[i] * b[i]; i += 1 }
        return s
    }
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
