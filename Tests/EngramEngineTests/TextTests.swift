import EngramEngine
import EngramEval
import EngramText
import Foundation
import Testing

/// Ingestion pieces in isolation: ignore rules, HTML, chunking, stemming, metrics, snippets.
@Suite struct TextTests {
    @Test func ignoreRulesFollowGitSemantics() {
        var rules = IgnoreRules()
        rules.add(contents: "# comment\n*.log\n!keep.log\nbuild/\n/top.txt\ndocs/**/draft.md\n", base: "")
        rules.add(contents: "local.txt\n", base: "sub")
        #expect(rules.isIgnored("a.log", isDirectory: false))
        #expect(rules.isIgnored("deep/x/a.log", isDirectory: false))
        #expect(!rules.isIgnored("keep.log", isDirectory: false))
        #expect(rules.isIgnored("build", isDirectory: true))
        #expect(!rules.isIgnored("build", isDirectory: false))
        #expect(rules.isIgnored("top.txt", isDirectory: false))
        #expect(!rules.isIgnored("sub/top.txt", isDirectory: false))
        #expect(rules.isIgnored("docs/a/b/draft.md", isDirectory: false))
        #expect(rules.isIgnored("docs/draft.md", isDirectory: false))
        #expect(rules.isIgnored("sub/local.txt", isDirectory: false))
        #expect(!rules.isIgnored("local.txt", isDirectory: false))
    }

    @Test func chunksRespectTheLimitOverlapAndLines() {
        // Word count stands in for word pieces.
        // 60 × 15 % = 9 tokens of overlap: room for one eight-word sentence.
        let chunker = Chunker(maxTokens: 60, overlap: 0.15, countTokens: { $0.split(separator: " ").count })
        var text = "# Title\n\n"
        for p in 0..<6 {
            text += (0..<4).map { s in "Paragraph \(p) sentence \(s) has exactly eight words." }.joined(separator: " ") + "\n\n"
        }
        let chunks = chunker.chunks(text)
        #expect(chunks.count > 3)
        #expect(chunks.allSatisfy { $0.tokenCount <= 60 })
        // Consecutive chunks share their boundary sentence (overlap) and lines only move forward.
        for (a, b) in zip(chunks, chunks.dropFirst()) {
            let sentences = a.text.split(separator: ".").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            #expect(b.text.hasPrefix(sentences.last!), "chunk should open with the previous chunk's last sentence")
            #expect(b.lineStart >= a.lineStart)
        }
        #expect(chunks.first!.lineStart == 1)
        #expect(chunks.last!.lineEnd == 13)
        // Every sentence of the text lands in some chunk.
        for p in 0..<6 { #expect(chunks.contains { $0.text.contains("Paragraph \(p) sentence 3") }) }
    }

    @Test func htmlKeepsVisibleTextOnly() throws {
        let page = "<html><head><title>A &amp; B</title><style>p{}</style></head><body><h1>Head</h1><script>var x=1;</script><p>One &lt;two&gt;</p><!-- hidden --></body></html>"
        let extracted = try TextExtractor().extract(path: "/x/page.html", data: Data(page.utf8))
        #expect(extracted.title == "A & B")
        #expect(extracted.text == "Head\n\nOne <two>")
    }

    @Test func porterStemmerKnownPairs() {
        let pairs = ["caresses": "caress", "ponies": "poni", "cats": "cat", "feed": "feed", "agreed": "agre",
                     "plastered": "plaster", "motoring": "motor", "hopping": "hop", "filing": "file", "happy": "happi",
                     "relational": "relat", "conditional": "condit", "digitizer": "digit", "hopeful": "hope",
                     "generalization": "gener", "tides": "tide", "running": "run", "sky": "sky", "controlling": "control"]
        for (word, stem) in pairs { #expect(PorterStemmer.stem(word) == stem, "\(word)") }
    }

    @Test func lexicalAnalyzerDropsStopwordsAndStems() {
        #expect(LexicalAnalyzer().terms("How do the TIDES work? It's the Moon!") == ["tide", "work", "moon"])
    }

    @Test("matcher(for:) answers as terms(text).contains(where: wanted.contains), with or without non-ASCII text")
    func containsTermAgreesWithTerms() {
        let analyzer = LexicalAnalyzer()
        let words = ["Tides", "tide", "TIDAL", "ties", "sses", "the", "and", "generalizations", "generate", "relational",
                     "relate", "happy", "happiness", "caresses", "ponies", "Ünïcödé", "ÉCOLE", "école", "naïve", "日本語",
                     "x", "ab", "a1", "covid-19", "snake_case", "İstanbul", "ǅemal", "ﬁle", "file", "running", "run",
                     "agreed", "feed", "hopping", "hop", "sky", "skies", "ß", "STRASSE", "2024", "v2"]
        var rng = SplitMix(state: 7)
        for _ in 0..<400 {
            let text = (0..<Int.random(in: 1...8, using: &rng)).map { _ in words.randomElement(using: &rng)! }
                .joined(separator: [" ", ", ", "-", "/", "\n", "…"].randomElement(using: &rng)!)
            let query = (0..<Int.random(in: 1...3, using: &rng)).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
            let wanted = Set(analyzer.terms(query))
            #expect(analyzer.matcher(for: wanted)(text) == analyzer.terms(text).contains(where: wanted.contains),
                    "text \(text), query \(query)")
        }
    }

    /// A small deterministic generator (SplitMix64), so a failing case comes back on every run.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func metricsMatchHandComputedValues() {
        let judgments = ["a": 2, "b": 1, "c": 1]
        // DCG = 1/log2(2) + 2/log2(4) = 2; IDCG = 2 + 1/log2(3) + 1/log2(4)
        let expected = 2.0 / (2 + 1 / log2(3) + 0.5)
        #expect(abs(Metrics.ndcg(ranking: ["b", "x", "a"], judgments: judgments) - expected) < 1e-12)
        #expect(Metrics.recall(ranking: ["x", "a", "c"], judgments: judgments, k: 2) == 1.0 / 3)
        #expect(Metrics.mrr(ranking: ["x", "y", "c"], judgments: judgments) == 1.0 / 3)
        #expect(Metrics.ndcg(ranking: [], judgments: judgments) == 0)
    }

    @Test func snippetsCentreOnMatches() {
        let text = (0..<60).map { "filler\($0)" }.joined(separator: " ") + " the ocean tides rise " + (0..<60).map { "more\($0)" }.joined(separator: " ")
        let s = Snippet(chunk: text, query: "tides of the ocean", words: 12)
        #expect(s.text.contains("ocean tides"))
        #expect(s.pieces.filter(\.highlighted).map(\.text) == ["ocean", "tides"])
    }
}
