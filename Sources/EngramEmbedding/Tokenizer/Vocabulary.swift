import Foundation

/// A WordPiece vocabulary (`vocab.txt`: one token per line, id = line number).
///
/// Lookups compare Unicode scalars exactly, as Hugging Face's tokenizers compare bytes.
/// (Swift `String` equality is canonical equivalence, which would wrongly match the
/// precomposed syllable `가` against the jamo sequence `ᄀ ᅡ` produced by NFD.)
/// Tokens are stored in two scalar tries, one for word-initial pieces and one for `##`
/// continuations, so a greedy longest match is one walk down a trie.
///
/// Building the tries was the largest part of a model load (several milliseconds of every search
/// process), so `init(contentsOf:)` keeps them compiled beside `vocab.txt` (`VocabularyCache`) and
/// token strings are made only when asked for.
public struct Vocabulary: Sendable {
    public let count: Int
    public let unknownID: Int32
    public let clsID: Int32
    public let sepID: Int32
    public let padID: Int32
    /// Special tokens recognised literally in raw text, before normalisation.
    public let specialTokens: [(text: [Unicode.Scalar], id: Int32)]

    /// The tokens' UTF-8 text, one line each; `lines[id]` is (offset, length) in `text`.
    let text: [UInt8]
    let lines: [SIMD2<UInt32>]
    // Trie edges keyed by (node << 21 | scalar); node 0 is the word-initial root, node 1 the `##` root.
    private(set) var edges: EdgeTable
    private(set) var terminal: [Int32] = [-1, -1]

    /// Every token, in id order (made on demand: the tokenizer itself never needs the strings).
    public var tokens: [String] { (0..<count).map(token) }

    /// The token with this id.
    public func token(_ id: Int) -> String {
        let line = lines[id]
        return text.withUnsafeBufferPointer { b in
            String(decoding: UnsafeBufferPointer(rebasing: b[Int(line.x)..<Int(line.x + line.y)]), as: UTF8.self)
        }
    }

    public init(tokens: [String]) throws {
        var text: [UInt8] = []
        var lines: [SIMD2<UInt32>] = []
        for token in tokens {
            lines.append(SIMD2(UInt32(text.count), UInt32(token.utf8.count)))
            text.append(contentsOf: token.utf8)
            text.append(0x0A)
        }
        try self.init(text: text, lines: lines)
    }

    /// Builds the tries for tokens given as lines of `text`.
    init(text: [UInt8], lines: [SIMD2<UInt32>]) throws {
        let ids = try Self.specialIDs(text: text, lines: lines)
        count = lines.count
        (unknownID, clsID, sepID, padID, specialTokens) = ids
        self.text = text
        self.lines = lines
        // BERT vocabularies share prefixes: about two edges a token (64,581 for all-MiniLM-L6-v2's 30,522).
        edges = EdgeTable(capacity: 2 * lines.count)
        terminal.reserveCapacity(2 * lines.count + 2)
        for index in 0..<lines.count {
            let token = token(index)
            let utf8 = token.utf8
            if utf8.count > 2, utf8.starts(with: "##".utf8) {
                insert(token, skipping: 2, root: 1, id: Int32(index))
            } else if !utf8.isEmpty {
                insert(token, skipping: 0, root: 0, id: Int32(index))
            }
        }
    }

    /// A vocabulary whose tries were built before (`VocabularyCache`).
    init(text: [UInt8], lines: [SIMD2<UInt32>], edges: EdgeTable, terminal: [Int32]) throws {
        (unknownID, clsID, sepID, padID, specialTokens) = try Self.specialIDs(text: text, lines: lines)
        count = lines.count
        self.text = text
        self.lines = lines
        self.edges = edges
        self.terminal = terminal
    }

    private static func specialIDs(text: [UInt8], lines: [SIMD2<UInt32>]) throws
        -> (Int32, Int32, Int32, Int32, [(text: [Unicode.Scalar], id: Int32)])
    {
        func id(_ t: String) -> Int32? {
            let want = Array(t.utf8)
            return lines.firstIndex { l in
                Int(l.y) == want.count && text[Int(l.x)..<Int(l.x + l.y)].elementsEqual(want)
            }.map { Int32($0) }
        }
        guard let unk = id("[UNK]"), let cls = id("[CLS]"), let sep = id("[SEP]") else {
            throw EmbeddingError.invalidConfig(path: "vocab.txt", reason: "missing [UNK], [CLS] or [SEP]")
        }
        let special = ["[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]"].compactMap { t in
            id(t).map { (text: Array(t.unicodeScalars), id: $0) }
        }
        return (unk, cls, sep, id("[PAD]") ?? 0, special)
    }

    /// Loads `vocab.txt`, through its compiled form beside it when that is current.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw EmbeddingError.missingFile(path: url.path)
        }
        let bytes = [UInt8](data)
        let cache = VocabularyCache(vocabulary: url, bytes: bytes)
        if let cached = cache.load(text: bytes) {
            self = cached
            return
        }
        // Lines are cut on bytes: splitting a String walks grapheme clusters, which costs more than
        // everything else a model load does.
        var lines: [SIMD2<UInt32>] = []
        lines.reserveCapacity(32_768)
        try bytes.withUnsafeBufferPointer { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                let lineEnd = end > start && bytes[end - 1] == 0x0D ? end - 1 : end
                guard String(validating: UnsafeBufferPointer(rebasing: bytes[start..<lineEnd]), as: UTF8.self) != nil else {
                    throw EmbeddingError.invalidConfig(path: url.path, reason: "line \(lines.count + 1) is not UTF-8")
                }
                lines.append(SIMD2(UInt32(start), UInt32(lineEnd - start)))
                start = end + 1
            }
        }
        do { try self.init(text: bytes, lines: lines) } catch EmbeddingError.invalidConfig(_, let reason) {
            throw EmbeddingError.invalidConfig(path: url.path, reason: reason)
        }
        cache.store(self)
    }

    /// Adds `token` minus its first `skip` scalars (the `##` of a continuation) below `root`.
    private mutating func insert(_ token: String, skipping skip: Int, root: Int32, id: Int32) {
        var node = root
        var skipped = 0
        for s in token.unicodeScalars {
            if skipped < skip {
                skipped += 1
                continue
            }
            let key = UInt64(node) << 21 | UInt64(s.value)
            if let next = edges[key] {
                node = next
            } else {
                let next = Int32(terminal.count)
                terminal.append(-1)
                edges.insert(key, next)
                node = next
            }
        }
        if terminal[Int(node)] < 0 { terminal[Int(node)] = id }
    }

    /// The longest vocabulary piece that starts at `start` in `word`, as (id, length).
    /// `continuation` selects the `##` pieces.
    @inline(__always)
    func longestMatch(_ word: [Unicode.Scalar], from start: Int, continuation: Bool) -> (id: Int32, length: Int)? {
        var node: Int32 = continuation ? 1 : 0
        var best: (Int32, Int)? = nil
        var i = start
        while i < word.count {
            guard let next = edges[UInt64(node) << 21 | UInt64(word[i].value)] else { break }
            node = next
            i += 1
            let t = terminal[Int(node)]
            if t >= 0 { best = (t, i - start) }
        }
        return best
    }
}

/// An open-addressing map from trie edge keys to child nodes. Swift's Dictionary hashes every key
/// with seeded SipHash, which made building the 30k-token trie the largest part of a model load;
/// these keys are plain integers, so a multiplicative hash and linear probing do.
struct EdgeTable: Sendable {
    private(set) var keys: [UInt64]   // key + 1; 0 marks an empty slot
    private(set) var values: [Int32]
    private var shift: UInt64
    private(set) var count = 0

    /// A table that holds `capacity` edges at most half full before it grows.
    init(capacity: Int) {
        var bits = 4
        while (1 << bits) < 2 * max(capacity, 8) { bits += 1 }
        keys = [UInt64](repeating: 0, count: 1 << bits)
        values = [Int32](repeating: 0, count: 1 << bits)
        shift = UInt64(64 - bits)
    }

    /// A table saved before: `keys.count` is a power of two and `values` matches it.
    init?(keys: [UInt64], values: [Int32], count: Int) {
        let slots = keys.count
        guard slots >= 16, slots & (slots - 1) == 0, values.count == slots, count < slots else { return nil }
        self.keys = keys
        self.values = values
        self.count = count
        shift = UInt64(64 - slots.trailingZeroBitCount)
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int { Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift) }

    @inline(__always)
    subscript(key: UInt64) -> Int32? {
        let stored = key &+ 1, mask = keys.count - 1
        var i = slot(key)
        while true {
            let k = keys[i]
            if k == stored { return values[i] }
            if k == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    /// Adds an edge that is not in the table yet.
    mutating func insert(_ key: UInt64, _ value: Int32) {
        if 2 * (count + 1) > keys.count {
            var bigger = EdgeTable(capacity: keys.count)
            for (k, v) in zip(keys, values) where k != 0 { bigger.insert(k &- 1, v) }
            self = bigger
        }
        let mask = keys.count - 1
        var i = slot(key)
        while keys[i] != 0 { i = (i + 1) & mask }
        keys[i] = key &+ 1
        values[i] = value
        count += 1
    }
}
