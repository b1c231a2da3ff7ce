import EngramEmbedding
import Foundation

/// The installed model's vocabulary ($ENGRAM_MODEL, else $ENGRAM_HOME/models/all-MiniLM-L6-v2).
let tokenizer: BertTokenizer = {
    let folder = ModelStore.resolve(nil)
    do {
        return BertTokenizer(vocabulary: try Vocabulary(contentsOf: folder.appendingPathComponent("vocab.txt")))
    } catch {
        fatalError("FuzzTokenizer needs the model's vocab.txt (engram model install): \(error)")
    }
}()

/// Any bytes, decoded as UTF-8 with replacement, tokenize to [CLS] … [SEP] within the length limit,
/// every id in the vocabulary.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    let encoding = tokenizer.encode(text)
    let ids = encoding.ids
    precondition(ids.count >= 2 && ids.count <= tokenizer.maxLength, "length \(ids.count)")
    precondition(ids.allSatisfy { $0 >= 0 && Int($0) < tokenizer.vocabulary.count }, "id out of range")
    precondition(encoding.untruncatedLength >= ids.count, "untruncated length below length")
    _ = tokenizer.tokens(text)
    return 0
}
