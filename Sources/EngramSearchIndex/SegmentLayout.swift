import Foundation

/// The byte layout of a segment file: a fixed header, then 64-byte-aligned sections.
///
///     header (512 B)  magic "ENGSEG01", version, dimension, covered chunk id, counts, graph parameters,
///                     section offsets, index id
///     rows            chunk id i64[rows] (ascending), document id i64[rows], lexical length u32[rows],
///                     graph node u32[rows]
///     documents       document id i64[docs] (ascending), first slot u32[docs + 1], row u32[rows] (by document)
///     graph           hnswlib's level-0 block [elements × element size], upper offsets u64[elements + 1],
///                     upper link lists
///     postings        per term: row u32[df], tf u16[df], (16-aligned) engram_block[⌈df / 128⌉]
///     terms           per term (ascending bytes): string offset u64, string length u32, df u32, postings offset u64,
///                     reserved u64; then the term strings
enum SegmentLayout {
    static let magic = Array("ENGSEG01".utf8)
    static let version: UInt32 = 1
    static let headerSize = 512
    static let termEntrySize = 32

    // Header field offsets.
    static let versionAt = 8, dimensionAt = 12, coveredAt = 16, rowsAt = 24, docsAt = 32, termsAt = 40
    static let totalLengthAt = 48, hasGraphAt = 56  // then damaged u32
    static let graphAt = 64  // 13 fields, see `GraphHeader`
    static let sectionsAt = 192  // `Section.allCases.count` u64 offsets
    static let indexIDAt = 320, stringSize = 64

    enum Section: Int, CaseIterable {
        case rowChunk, rowDocument, rowLength, rowNode, documentIDs, documentStart, documentRows
        case level0, upperOffsets, upper, termIndex, termStrings, postings
    }

    static func align(_ n: Int, _ to: Int = 64) -> Int { (n + to - 1) / to * to }
}
