import EngramEngine
import EngramMemory
import EngramStore
import Foundation

/// One search as a long-lived server receives it: the query, the pipeline's options and what memory may do.
public struct ServiceQuery: Sendable {
    public var text: String
    public var options: SearchOptions
    /// The memory profile whose recent searches re-rank this one.
    public var profile: String
    /// False: neither read nor record memory.
    public var useMemory: Bool
    /// False: read memory but record nothing.
    public var record: Bool
    /// Also rank without memory, so the result says what memory changed for each hit.
    public var explain: Bool

    public init(_ text: String, options: SearchOptions = SearchOptions(), profile: String = "default",
                useMemory: Bool = true, record: Bool = true, explain: Bool = false) {
        (self.text, self.options, self.profile) = (text, options, profile)
        (self.useMemory, self.record, self.explain) = (useMemory, record, explain)
    }
}

/// A search's outcome: the ranked hits and, when memory took part, what it did.
public struct ServiceSearch: Sendable {
    public let response: SearchResponse
    public let memory: MemoryResult?
    public let profile: String
    public let config: MemoryConfig

    public init(response: SearchResponse, memory: MemoryResult?, profile: String, config: MemoryConfig) {
        (self.response, self.memory, self.profile, self.config) = (response, memory, profile, config)
    }
}

/// The text of an indexed document, or of a range of its lines.
public struct DocumentText: Sendable, Encodable {
    public let path: String
    public let title: String
    public let type: String
    /// First and last line returned (1-based, inclusive); 0 and 0 for an empty document.
    public let line_start: Int
    public let line_end: Int
    public let total_lines: Int
    public let text: String
}

/// Why a server request failed, with what it was about.
public enum ServiceError: Error, CustomStringConvertible, Equatable {
    /// The index file does not exist yet.
    case noIndex(path: String)
    /// A document path that the index does not hold: only indexed documents are served.
    case notIndexed(path: String)
    /// The document is indexed but cannot be read from disk now.
    case unreadable(path: String, reason: String)
    /// A parameter the request got wrong.
    case invalid(String)

    public var description: String {
        switch self {
        case .noIndex(let path): "no index at \(path) yet: index a folder first"
        case .notIndexed(let path): "\(path) is not an indexed document"
        case .unreadable(let path, let reason): "cannot read \(path): \(reason)"
        case .invalid(let message): message
        }
    }

    /// True for mistakes in the request (as opposed to the server's state).
    public var isClientError: Bool {
        switch self {
        case .notIndexed, .invalid: true
        case .noIndex, .unreadable: false
        }
    }
}
