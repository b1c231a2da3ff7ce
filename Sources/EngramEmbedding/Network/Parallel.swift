import Dispatch
import Foundation

/// Splits work across the machine's cores with `concurrentPerform`.
///
/// BLAS runs single-threaded inside each worker: the engine chooses the split itself, which
/// doubles the speed of the many small per-head products and keeps large products on both cores.
public enum Parallel {
    public static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Runs `body(range)` over `0..<count` cut into at most `workers` contiguous parts of at least `grain` items.
    /// Each part writes disjoint memory, which is why `body` need not be `Sendable`.
    public static func rows(_ count: Int, grain: Int = 32, workers: Int = workers, _ body: (Range<Int>) -> Void) {
        let parts = min(workers, max(1, count / max(grain, 1)))
        if parts <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            let task = Unchecked(body)
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                let lo = count * p / parts, hi = count * (p + 1) / parts
                if lo < hi { task.value(lo..<hi) }
            }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<count`, spread across the workers.
    public static func each(_ count: Int, workers: Int = workers, _ body: (Int) -> Void) {
        if count <= 1 || workers <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let task = Unchecked(body)
            DispatchQueue.concurrentPerform(iterations: count) { task.value($0) }
        }
    }

    private struct Unchecked<T>: @unchecked Sendable {
        let value: T
        init(_ value: T) { self.value = value }
    }
}
