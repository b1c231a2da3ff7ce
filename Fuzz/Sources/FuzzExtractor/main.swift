import EngramText
import Foundation

/// The first byte picks the file name (and so the extractor: HTML, Markdown, plain text, by content,
/// gzip); the rest is the file. Extraction either throws a typed error or gives text with LF line endings.
let names = ["page.html", "page.xhtml", "notes.md", "notes.txt", "README", "NEWS.gz", "guide.md.gz", "data.json", "notes.org"]
let extractor = TextExtractor(maxDecompressedSize: 1 << 20)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzExtractor(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let name = names[Int(bytes[0]) % names.count]
    do {
        let extracted = try extractor.extract(path: "/fuzz/\(name)", data: Data(bytes.dropFirst()))
        precondition(!extracted.text.utf8.contains(0x0D), "carriage return left in the text of \(name)")
        precondition(!extracted.title.isEmpty, "empty title for \(name)")
    } catch {
        // Binary, broken or too large: a typed refusal is the expected outcome for most inputs.
    }
    return 0
}
