import Foundation

/// How `engram bench` and `engram-pg bench` reduce timings: percentiles by the nearest rank.
public enum BenchFigures {
    /// The `p` quantile (0.5: the median) of `xs`; 0 for none.
    public static func percentile(_ xs: [Double], _ p: Double) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s[min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))]
    }
}

/// `engram bench concurrent`'s result, on either store: many searchers at once for a while.
public struct ConcurrentBenchResult: Encodable, Sendable {
    public let store: String
    public let clients: Int
    public let seconds: Double
    public let requests: Int
    public let requests_per_s: Double
    public let p50_ms: Double
    public let p95_ms: Double
    public let mode: String
    public let queries_embedded: String

    /// `latencies`: one per request, in milliseconds, over `seconds` of wall time.
    public init(store: String, clients: Int, seconds: Double, latencies: [Double], mode: String, queriesEmbeddedBeforehand: Bool) {
        (self.store, self.clients, self.seconds, self.mode) = (store, clients, seconds, mode)
        requests = latencies.count
        requests_per_s = Double(latencies.count) / seconds
        p50_ms = BenchFigures.percentile(latencies, 0.5)
        p95_ms = BenchFigures.percentile(latencies, 0.95)
        queries_embedded = queriesEmbeddedBeforehand ? "beforehand" : "per request"
    }

    /// One line for people, naming the store as `storeName` (SQLite, PostgreSQL).
    public func summary(storeName: String) -> String {
        String(format: "%@, %d clients, %.0f s: %d requests, %.1f requests/s, p50 %.1f ms, p95 %.1f ms",
               storeName, clients, seconds, requests, requests_per_s, p50_ms, p95_ms)
    }
}
