import Foundation

/// The compiled form of a `vocab.txt` (its two tries and its line table), kept beside it as `vocab.trie`.
///
/// Building the tries from 30k tokens took several milliseconds of every search process; reading them
/// back takes a fraction of one. The file is derived data: whichever process first loads the vocabulary
/// writes it (a temporary file, then a rename, so no reader sees half of one), a folder it cannot write
/// to only means the next process builds the tries again, and it is ignored and rewritten when
/// `vocab.txt` changes (the header holds a hash of its bytes) or when it fails any check below.
///
/// Layout, native byte order (the magic number reads differently in the other): a header of eight
/// UInt64s (magic, hash of vocab.txt, its size, tokens, edge slots, edges, trie nodes, checksum), then
/// the edge keys (UInt64 × slots), the edge values (Int32 × slots), the trie nodes' token ids (Int32 ×
/// nodes), the lines (offset, length as UInt32 × 2 × tokens), zero-padded to a multiple of 8 bytes.
struct VocabularyCache {
    static let magic: UInt64 = 0x3142_4F56_4D41_5247  // "GRAMVOB1"
    static let headerWords = 8

    let url: URL
    let hash: UInt64
    let size: Int

    init(vocabulary: URL, bytes: [UInt8]) {
        url = vocabulary.deletingLastPathComponent().appendingPathComponent("vocab.trie")
        size = bytes.count
        hash = Self.hash(bytes)
    }

    /// The vocabulary of `text` (vocab.txt's bytes), if a current, intact compiled form is saved.
    func load(text: [UInt8]) -> Vocabulary? {
        guard let data = FileManager.default.contents(atPath: url.path), data.count >= Self.headerWords * 8,
              data.count % 8 == 0 else { return nil }
        return data.withUnsafeBytes { raw -> Vocabulary? in
            let word = { (i: Int) in raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
            guard word(0) == Self.magic, word(1) == hash, word(2) == UInt64(size) else { return nil }
            let tokens = Int(word(3)), slots = Int(word(4)), edgeCount = Int(word(5)), nodes = Int(word(6))
            guard tokens > 0, tokens < 1 << 24, slots < 1 << 26, nodes >= 2, nodes < 1 << 26,
                  Self.payloadBytes(tokens: tokens, slots: slots, nodes: nodes) == data.count - Self.headerWords * 8,
                  Self.checksum(UnsafeRawBufferPointer(rebasing: raw[(Self.headerWords * 8)...])) == word(7)
            else { return nil }
            var offset = Self.headerWords * 8
            func array<T>(_ count: Int, _: T.Type) -> [T] {
                defer { offset += count * MemoryLayout<T>.stride }
                return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count * MemoryLayout<T>.stride)]))
                    initialized = count
                }
            }
            let keys = array(slots, UInt64.self), values = array(slots, Int32.self)
            let terminal = array(nodes, Int32.self), lines = array(tokens, SIMD2<UInt32>.self)
            // Every index the tokenizer will follow stays in range, whatever the file holds.
            guard terminal.allSatisfy({ $0 >= -1 && $0 < Int32(tokens) }),
                  zip(keys, values).allSatisfy({ k, v in k == 0 || (Int((k &- 1) >> 21) < nodes && v >= 0 && Int(v) < nodes) }),
                  lines.allSatisfy({ Int($0.x) + Int($0.y) <= text.count }),
                  let edges = EdgeTable(keys: keys, values: values, count: edgeCount)
            else { return nil }
            return try? Vocabulary(text: text, lines: lines, edges: edges, terminal: terminal)
        }
    }

    /// Saves `vocabulary`'s compiled form; quietly does nothing when the folder is not writable.
    func store(_ vocabulary: Vocabulary) {
        let edges = vocabulary.edges, terminal = vocabulary.terminal, lines = vocabulary.lines
        var payload = Data()
        edges.keys.withUnsafeBytes { payload.append(contentsOf: $0) }
        edges.values.withUnsafeBytes { payload.append(contentsOf: $0) }
        terminal.withUnsafeBytes { payload.append(contentsOf: $0) }
        lines.withUnsafeBytes { payload.append(contentsOf: $0) }
        payload.append(contentsOf: [UInt8](repeating: 0, count: (8 - payload.count % 8) % 8))
        let header: [UInt64] = [Self.magic, hash, UInt64(size), UInt64(lines.count), UInt64(edges.keys.count),
                                UInt64(edges.count), UInt64(terminal.count), payload.withUnsafeBytes { Self.checksum($0) }]
        var file = header.withUnsafeBytes { Data($0) }
        file.append(payload)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".vocab.trie.\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try file.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
        }
    }

    static func payloadBytes(tokens: Int, slots: Int, nodes: Int) -> Int {
        let bytes = slots * 12 + nodes * 4 + tokens * 8
        return (bytes + 7) / 8 * 8
    }

    /// FNV-1a over 64-bit words (the tail zero-padded): enough to tell one vocab.txt from another.
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            var i = 0
            while i + 8 <= raw.count {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01b3
                i += 8
            }
            var tail: UInt64 = 0
            for (shift, byte) in raw[i...].enumerated() { tail |= UInt64(byte) << (8 * UInt64(shift)) }
            return ((h ^ tail) &* 0x100_0000_01b3) ^ UInt64(raw.count)
        }
    }

    /// A position-dependent sum of the payload's words, to catch a damaged file.
    static func checksum(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        var sum: UInt64 = 0
        var i = 0
        while i + 8 <= raw.count {
            sum = sum &+ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) &* UInt64(i / 8 * 2 + 1)
            i += 8
        }
        return sum
    }
}
