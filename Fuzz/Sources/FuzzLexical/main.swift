import EngramText
import Foundation

/// Any query text gives terms that are non-empty and have no upper-case ASCII letter.
let analyzer = LexicalAnalyzer()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLexical(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    for term in analyzer.terms(text) {
        precondition(!term.isEmpty, "empty term")
        precondition(!term.unicodeScalars.contains { $0.isASCII && $0.properties.isUppercase }, "upper-case term \(term)")
    }
    return 0
}
