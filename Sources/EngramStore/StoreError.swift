import Foundation

/// Errors of the SQLite index, each naming the index file it concerns.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, message: String)
    case notAnIndex(path: String)
    case corrupt(path: String, message: String)
    case sql(path: String, sql: String, message: String)
    case schemaTooNew(path: String, version: Int, supported: Int)
    case modelMismatch(path: String, indexModel: String, currentModel: String)
    /// Another process holds the index's writer lock.
    case busy(path: String, pid: Int32)
    /// A change was attempted through a store opened for reading, or outside `write { }`.
    case notWritable(path: String, reason: String)

    /// The file the error concerns.
    public var path: String {
        switch self {
        case .cannotOpen(let p, _), .notAnIndex(let p), .corrupt(let p, _), .sql(let p, _, _), .schemaTooNew(let p, _, _),
             .modelMismatch(let p, _, _), .busy(let p, _), .notWritable(let p, _):
            return p
        }
    }

    public var description: String {
        switch self {
        case .cannotOpen(let path, let message):
            return "cannot open \(path): \(message)"
        case .notAnIndex(let path):
            return "\(path) is not an Engram index (pass another --index, or remove the file)"
        case .corrupt(let path, let message):
            return "index \(path) is damaged: \(message) (`engram check --index \(path)` says what; if its pages are damaged, move it aside and run `engram index` on its folders again)"
        case .sql(let path, let sql, let message):
            return "index \(path): \(message) (in: \(sql.prefix(80)))"
        case .schemaTooNew(let path, let version, let supported):
            return "index \(path) has schema version \(version); this engram reads up to \(supported): upgrade engram"
        case .modelMismatch(let path, let indexModel, let currentModel):
            return "index \(path) was built with model \(indexModel), but the current model is \(currentModel): "
                + "use that model (--model / ENGRAM_MODEL) or index into a new --index"
        case .busy(let path, let pid):
            return "another engram is writing \(path)\(pid > 0 ? " (pid \(pid))" : ""): wait for it, or run without --no-wait"
        case .notWritable(let path, let reason):
            return "index \(path): \(reason)"
        }
    }
}
