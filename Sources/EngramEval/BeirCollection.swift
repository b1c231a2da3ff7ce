import Foundation

/// A BEIR-format collection: `corpus.jsonl`, `queries.jsonl`, `qrels/test.tsv`.
public struct BeirCollection: Sendable {
    public struct Document: Sendable { public let id, title, text: String }
    public struct Query: Sendable { public let id, text: String }

    public let name: String
    public let folder: URL
    public let documents: [Document]
    public let queries: [Query]
    /// query id → (document id → grade)
    public let qrels: [String: [String: Int]]

    public enum LoadError: Error, CustomStringConvertible {
        case missing(String)
        case malformed(path: String, line: Int)
        public var description: String {
            switch self {
            case .missing(let p): return "BEIR file missing: \(p)"
            case .malformed(let p, let l): return "\(p):\(l): not a valid BEIR record"
            }
        }
    }

    public init(folder: URL) throws {
        self.folder = folder
        name = folder.standardizedFileURL.lastPathComponent
        documents = try Self.jsonLines(folder.appendingPathComponent("corpus.jsonl")).map {
            Document(id: Self.id($0["_id"]), title: $0["title"] as? String ?? "", text: $0["text"] as? String ?? "")
        }
        queries = try Self.jsonLines(folder.appendingPathComponent("queries.jsonl")).map {
            Query(id: Self.id($0["_id"]), text: $0["text"] as? String ?? "")
        }
        let qrelsPath = folder.appendingPathComponent("qrels/test.tsv").path
        guard let data = FileManager.default.contents(atPath: qrelsPath) else { throw LoadError.missing(qrelsPath) }
        var qrels: [String: [String: Int]] = [:]
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() where i > 0 {
            let f = line.split(separator: "\t")
            guard f.count >= 3, let grade = Int(f[2].trimmingCharacters(in: .whitespaces)) else {
                throw LoadError.malformed(path: qrelsPath, line: i + 1)
            }
            qrels[String(f[0]), default: [:]][String(f[1])] = grade
        }
        self.qrels = qrels
    }

    static func id(_ v: Any?) -> String {
        if let s = v as? String { return s }
        if let n = v as? NSNumber { return n.stringValue }
        return ""
    }

    static func jsonLines(_ url: URL) throws -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw LoadError.missing(url.path) }
        var out: [[String: Any]] = []
        for (i, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw LoadError.malformed(path: url.path, line: i + 1)
            }
            out.append(obj)
        }
        return out
    }
}
