import EngramMemory
import EngramStore
import Foundation
import Testing

/// How `engram memory show` and `--explain` name and list a profile's entries.
@Suite struct MemoryListingTests {
    let passage = "# OpenSSL's scrypt requires OpenSSL 1.1+\n\nfrom _hashlib import scrypt\n"

    @Test func anOpenIsNamedByItsFileAndThePassagesFirstWords() {
        #expect(MemoryModel.label(kind: "query", text: "lock", path: nil, width: 70) == "\"lock\"")
        let open = MemoryModel.label(kind: "open", text: passage, path: "/home/u/lib/hashlib.py", width: 70)
        #expect(open == "opened hashlib.py: \"# OpenSSL's scrypt requires OpenSSL 1.1+ from _hashlib import scrypt\"")
        let cut = MemoryModel.label(kind: "open", text: passage, path: "/home/u/lib/hashlib.py", width: 20)
        #expect(cut == "opened hashlib.py: \"# OpenSSL's scrypt…\"", "\(cut)")
        #expect(!cut.contains("\n"))
        // Cut at a word's end: "…requires OpenSSL" rather than "…requires Open…".
        #expect(MemoryModel.label(kind: "query", text: passage, path: nil, width: 35) == "\"# OpenSSL's scrypt requires…\"")
        // A text exactly as long as the width is shown whole.
        #expect(MemoryModel.label(kind: "query", text: String(repeating: "a", count: 20), path: nil, width: 20) == "\"" + String(repeating: "a", count: 20) + "\"")
    }

    /// A setting is shown exactly, in its largest whole unit; an age is rounded down to one.
    @Test func durationsReadInWords() {
        #expect(MemoryModel.span(86_400) == "1 d" && MemoryModel.span(5400) == "90 min" && MemoryModel.span(216_000) == "60 h")
        #expect(MemoryModel.span(45) == "45 s" && MemoryModel.span(7200) == "2 h")
        #expect(MemoryModel.age(270) == "4 min" && MemoryModel.age(45) == "45 s" && MemoryModel.age(3 * 86_400) == "3 d")
    }

    @Test func theListingSaysHowOldInWordsAndWhereToSeeWhy() {
        let config = MemoryConfig()
        let entries = [
            MemoryStore.Entry(id: 1, profile: "p", kind: "query", text: "how do I compute a sha256 digest", vector: [1, 0], at: 0, sequence: 0),
            MemoryStore.Entry(id: 2, profile: "p", kind: "open", text: passage, vector: [1, 0], at: 30, sequence: 0, path: "/lib/hashlib.py"),
        ]
        let shown = ShownMemory(profile: "p", entries: entries, searches: 1, query: nil, judged: [], now: 270, config: config)
        let lines = shown.lines
        #expect(lines[0] == "profile p: 2 entries, 1 search, half-life 1 d; first column: what age and later searches leave of each entry", "\(lines[0])")
        // Newest first: the open (4 min ago), then the search (4 min ago, 270 s).
        #expect(lines[1].hasSuffix("open    4 min ago  opened hashlib.py: \"# OpenSSL's scrypt requires OpenSSL 1.1+ from _hashlib import scrypt\""),
                "\(lines[1])")
        #expect(lines[2].hasSuffix("query   4 min ago  \"how do I compute a sha256 digest\""), "\(lines[2])")
        #expect(lines.last?.contains("--query QUERY shows, for that query, why each is or is not in effect") == true)

        // Against a query, each entry says why on its own line, and the pointer to --query is not repeated.
        let judged = MemoryModel.weigh(entries, query: [1, 0], now: 270, searches: 1, config: config)
        let against = ShownMemory(profile: "p", entries: entries, searches: 1, query: "scrypt", judged: judged, now: 270, config: config).lines
        #expect(against[0].hasSuffix(", judged against \"scrypt\"; first column: w, what counts for that query"), "\(against[0])")
        #expect(against.count == 3)
        #expect(against[2].contains("\n         in effect: on topic (cosine 1.00 to this query"), "\(against[2])")
    }
}
