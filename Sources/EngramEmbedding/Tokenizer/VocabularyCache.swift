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
/// UInt64s (magic, hash of vocab.txt, its size, tokens, edge slots, edges, trie nodes, checksum of what
/// follows), then the edge keys (UInt64 × slots), the edge values (Int32 × slots), the trie nodes' token
/// ids (Int32 × nodes), the lines (offset, length as UInt32 × 2 × tokens), zero-padded to 8 bytes.
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

    /// The vocabulary of `text` (vocab.txt's bytes), if a current, intact compiled form is saved. The arrays
    /// are read straight into their storage; the checksum covers every byte of them.
    func load(text: [UInt8]) -> Vocabulary? {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var header = [UInt64](repeating: 0, count: Self.headerWords)
        var st = stat()
        guard fstat(fd, &st) == 0, Self.read(fd, into: &header, at: 0),
              header[0] == Self.magic, header[1] == hash, header[2] == UInt64(size) else { return nil }
        let tokens = Int(header[3]), slots = Int(header[4]), edgeCount = Int(header[5]), nodes = Int(header[6])
        guard tokens > 0, tokens < 1 << 24, slots < 1 << 26, nodes >= 2, nodes < 1 << 26,
              Self.payloadBytes(tokens: tokens, slots: slots, nodes: nodes) == Int(st.st_size) - Self.headerWords * 8
        else { return nil }
        var offset = Self.headerWords * 8
        guard let keys = Self.read(fd, slots, UInt64.self, at: &offset), let values = Self.read(fd, slots, Int32.self, at: &offset),
              let terminal = Self.read(fd, nodes, Int32.self, at: &offset),
              let lines = Self.read(fd, tokens, SIMD2<UInt32>.self, at: &offset)
        else { return nil }
        var sum = Checksum()
        keys.withUnsafeBytes { sum.add($0) }
        values.withUnsafeBytes { sum.add($0) }
        terminal.withUnsafeBytes { sum.add($0) }
        lines.withUnsafeBytes { sum.add($0) }
        guard sum.value == header[7], let edges = EdgeTable(keys: keys, values: values, count: edgeCount) else { return nil }
        return try? Vocabulary(text: text, lines: lines, edges: edges, terminal: terminal)
    }

    private static func read<T>(_ fd: Int32, into array: inout [T], at offset: Int) -> Bool {
        array.withUnsafeMutableBytes { readFully(fd, $0, at: offset) }
    }

    /// `count` values of a plain type read from the file at `offset`, which moves past them; nil if the
    /// file ends first. The array's storage is filled by the read itself, not cleared before it.
    private static func read<T: BitwiseCopyable>(_ fd: Int32, _ count: Int, _: T.Type, at offset: inout Int) -> [T]? {
        var complete = false
        let array = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            complete = readFully(fd, UnsafeMutableRawBufferPointer(buffer), at: offset)
            initialized = count  // plain values: whatever a short read left is never used
        }
        offset += count * MemoryLayout<T>.stride
        return complete ? array : nil
    }

    private static func readFully(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Bool {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n <= 0 { return false }
            done += n
        }
        return true
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
        var sum = Checksum()
        edges.keys.withUnsafeBytes { sum.add($0) }
        edges.values.withUnsafeBytes { sum.add($0) }
        terminal.withUnsafeBytes { sum.add($0) }
        lines.withUnsafeBytes { sum.add($0) }
        let header: [UInt64] = [Self.magic, hash, UInt64(size), UInt64(lines.count), UInt64(edges.keys.count),
                                UInt64(edges.count), UInt64(terminal.count), sum.value]
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
}

/// A position-dependent sum of 32-bit words, to catch a damaged file: each part is a whole number of words.
struct Checksum {
    private(set) var value: UInt64 = 0
    private var position: UInt64 = 0

    mutating func add(_ raw: UnsafeRawBufferPointer) {
        var sum = value, i = position
        for k in 0..<(raw.count / 4) {
            sum = sum &+ UInt64(raw.load(fromByteOffset: 4 * k, as: UInt32.self)) &* (2 &* i &+ 1)
            i &+= 1
        }
        value = sum
        position = i
    }
}
