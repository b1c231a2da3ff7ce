/// One pass over a page's bytes that drops markup: tags, comments, and the content of `<script>`,
/// `<style>` and `<head>`; block elements become line breaks. Linear in the page's size whatever it
/// holds (regular expressions took quadratic time on a page of unclosed `<script` or `<a`).
struct HTMLMarkup {
    /// Elements that start or end a line of visible text.
    static let blocks: Set<String> = [
        "br", "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "section", "article", "header", "footer", "pre",
        "blockquote",
    ]
    /// Elements whose content is never visible text (the title is read apart).
    static let hidden: Set<String> = ["script", "style", "head", "title"]
    /// Of those, the ones that hide the rest of the page when left unclosed, as in browsers.
    static let hideToEnd: Set<String> = ["script", "style"]

    let b: [UInt8]
    /// Searches that already failed from a position: a later search for the same thing fails too.
    private var noneFrom: [String: Int] = [:]

    init(_ html: String) { b = Array(html.utf8) }

    /// The page with markup dropped, as text (entities still encoded).
    mutating func text() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(b.count)
        var i = 0
        while i < b.count {
            guard b[i] == UInt8(ascii: "<") else { out.append(b[i]); i += 1; continue }
            if matches("<!--", at: i) {
                i = find("-->", from: i + 4).map { $0 + 3 } ?? b.count  // an unclosed comment runs to the end, as in browsers
                continue
            }
            var j = i + 1
            let closing = j < b.count && b[j] == UInt8(ascii: "/")
            if closing { j += 1 }
            let nameStart = j
            while j < b.count && (Self.isLetter(b[j]) || (j > nameStart && Self.isDigit(b[j]))) { j += 1 }
            let name = String(decoding: b[nameStart..<j].map(Self.lower), as: UTF8.self)
            let markup = !name.isEmpty || (!closing && j < b.count && (b[j] == UInt8(ascii: "!") || b[j] == UInt8(ascii: "?")))
            // "a < b" is text; so is a tag that never ends.
            guard markup, let end = find(">", from: j) else { out.append(b[i]); i += 1; continue }
            i = end + 1
            if !closing && Self.hidden.contains(name) {
                if let close = findClosingTag(name, from: i) {
                    i = find(">", from: close).map { $0 + 1 } ?? b.count
                } else if Self.hideToEnd.contains(name) {
                    i = b.count
                }
            } else if Self.blocks.contains(name) {
                out.append(UInt8(ascii: "\n"))
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The text of the first `<title>` element, if any.
    mutating func title() -> String? {
        guard let open = find("<title", from: 0), let start = find(">", from: open) else { return nil }
        guard let end = findClosingTag("title", from: start + 1) else { return nil }
        return String(decoding: b[(start + 1)..<end], as: UTF8.self)
    }

    /// Where `</name` starts at or after `from`, not counting longer names (`</header` is not `</head`).
    private mutating func findClosingTag(_ name: String, from: Int) -> Int? {
        var at = from
        while let i = find("</" + name, from: at) {
            let next = i + 2 + name.utf8.count
            if next >= b.count || !(Self.isLetter(b[next]) || Self.isDigit(b[next])) { return i }
            at = i + 1
        }
        return nil
    }

    /// The first position at or after `from` where `needle` (ASCII, matched without case) starts.
    private mutating func find(_ needle: String, from: Int) -> Int? {
        if let failed = noneFrom[needle], from >= failed { return nil }
        let n = Array(needle.utf8)
        var i = from
        while i + n.count <= b.count {
            if Self.lower(b[i]) == n[0] && matches(n, at: i) { return i }
            i += 1
        }
        noneFrom[needle] = min(from, noneFrom[needle] ?? from)
        return nil
    }

    private func matches(_ needle: String, at i: Int) -> Bool { matches(Array(needle.utf8), at: i) }

    private func matches(_ n: [UInt8], at i: Int) -> Bool {
        guard i + n.count <= b.count else { return false }
        for k in 0..<n.count where Self.lower(b[i + k]) != n[k] { return false }
        return true
    }

    static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c + 32 : c }
    static func isLetter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) }
    static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
}
