import EngramEmbedding
import EngramStore
import EngramText
import Foundation

/// What a store other than the SQLite index (the PostgreSQL store in Postgres/) needs from the engine so that
/// its documents are chunked and embedded, filtered and ranked exactly as the SQLite index's are.
extension Indexer {
    /// The chunker the indexer uses with this encoder (passages counted in the encoder's tokens).
    public static func chunker(for encoder: SentenceEncoder) -> Chunker {
        let tokenizer = encoder.tokenizer
        return Chunker(countTokens: { tokenizer.encode($0).untruncatedLength - 2 })
    }

    /// A document's passages as the indexer stores them: chunks of its text (its title alone when it has no
    /// body), each with the text that is embedded and analysed for BM25, and that text's hash.
    public static func passages(of document: PendingDocument, chunker: Chunker)
        -> [(chunk: TextChunk, embedded: String, hash: String)]
    {
        var chunks = chunker.chunks(document.text)
        if chunks.isEmpty && !document.title.isEmpty {
            chunks = [TextChunk(text: document.title, lineStart: 1, lineEnd: 1, tokenCount: chunker.countTokens(document.title))]
        }
        return chunks.map { chunk in
            let text = embeddingText(title: document.title, chunk: chunk.text)
            return (chunk, text, SHA256.hex(Data(text.utf8)))
        }
    }

    /// The text embedded and analysed for BM25 for a chunk of a document with this title.
    public static func passageText(title: String, chunk: String) -> String { embeddingText(title: title, chunk: chunk) }
}

extension Searcher {
    /// Whether the `--path`, `--type`, `--since` and folder filters of `options` restrict anything.
    public static func filtersActive(_ options: SearchOptions) -> Bool { Filter(options).active }

    /// The pipeline's own filter for `options`: whether a document passes it.
    public static func documentFilter(_ options: SearchOptions) -> (IndexStore.Document) -> Bool {
        let filter = Filter(options)
        return { filter.accepts($0) }
    }

    /// The `limit` best documents of fused scores, ties broken by id (the pipeline's own order).
    public static func topDocuments(_ scores: [Int64: Double], limit: Int) -> [(key: Int64, value: Double)] {
        top(scores, limit)
    }
}

extension SearchHit {
    public init(rank: Int, documentID: Int64, path: String, title: String, line: Int, lineStart: Int, lineEnd: Int,
                score: Double, semantic: Double?, lexical: Double?, chunkID: Int64, chunkText: String, snippet: Snippet) {
        self.rank = rank
        self.documentID = documentID
        self.path = path
        self.title = title
        self.line = line
        self.lineStart = lineStart
        self.lineEnd = lineEnd
        self.score = score
        self.semantic = semantic
        self.lexical = lexical
        self.chunkID = chunkID
        self.chunkText = chunkText
        self.snippet = snippet
    }
}
