import Foundation

/// Errors of the SQLite index, each naming the index file it concerns.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, message: String)
    case notAnIndex(path: String)
    case corrupt(path: String, message: String)
    case sql(path: String, sql: String, message: String)
    case schemaTooNew(path: String, version: Int, supported: Int)
    case modelMismatch(path: String, indexModel: String, currentModel: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let message):
            return "cannot open index \(path): \(message)"
        case .notAnIndex(let path):
            return "\(path) is not an Engram index (pass another --index, or remove the file)"
        case .corrupt(let path, let message):
            return "index \(path) is corrupt: \(message) (re-create it with `engram index`)"
        case .sql(let path, let sql, let message):
            return "index \(path): \(message) (in: \(sql.prefix(80)))"
        case .schemaTooNew(let path, let version, let supported):
            return "index \(path) has schema version \(version); this engram reads up to \(supported): upgrade engram"
        case .modelMismatch(let path, let indexModel, let currentModel):
            return "index \(path) was built with model \(indexModel), but the current model is \(currentModel): "
                + "use that model (--model / ENGRAM_MODEL) or index into a new --index"
        }
    }
}
