import EngramText
import Foundation

/// The first byte sets the chunk size; the rest is the text. Every chunk stays within the size,
/// its lines within the text's, and lines never run backwards.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChunker(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let maxTokens = 4 + Int(bytes[0]) % 60
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    let chunker = Chunker(maxTokens: maxTokens, overlap: 0.15, countTokens: { $0.split(whereSeparator: \.isWhitespace).count })
    let chunks = chunker.chunks(text)
    let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).count
    var previous = 1
    for c in chunks {
        precondition(c.tokenCount <= maxTokens, "chunk of \(c.tokenCount) tokens over \(maxTokens)")
        precondition(c.lineStart >= previous && c.lineStart <= c.lineEnd && c.lineEnd <= lines,
                     "lines \(c.lineStart)–\(c.lineEnd) of \(lines), previous start \(previous)")
        precondition(!c.text.isEmpty, "empty chunk")
        previous = c.lineStart
    }
    return 0
}
