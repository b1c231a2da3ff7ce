import Foundation

/// The visible text of an HTML page: `<script>`, `<style>`, `<head>`, comments and tags dropped
/// (`HTMLMarkup`), block elements turned into line breaks, entities decoded.
enum HTMLText {
    static func extract(_ html: String) -> (text: String, title: String) {
        var markup = HTMLMarkup(html)
        let title = markup.title().map { collapse(decodeEntities($0)) } ?? ""
        var s = markup.text()
        s = decodeEntities(s)
        // Entities may spell line breaks (&#13;&#10;), so lines are cut on every kind after decoding.
        let lines = s.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { collapse(String($0)) }
        var out: [String] = []
        for line in lines where !(line.isEmpty && (out.last?.isEmpty ?? true)) { out.append(line) }
        return (out.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines), title)
    }

    /// The charset a page declares in its first bytes: `<meta charset=…>`, `<meta http-equiv="Content-Type"
    /// content="…; charset=…">` or an XML declaration's `encoding`.
    static func declaredCharset(_ head: Data) -> String? {
        // Declarations are ASCII; reading the bytes as Latin-1 never fails and keeps offsets.
        let text = String(head.map { Character(Unicode.Scalar($0)) })
        for pattern in ["<meta\\b[^>]*?charset\\s*=\\s*[\"']?\\s*([A-Za-z0-9_.:\\-]+)",
                        "<\\?xml\\b[^>]*?encoding\\s*=\\s*[\"']([A-Za-z0-9_.:\\-]+)"] {
            if let name = firstMatch(pattern, in: text) { return name.lowercased() }
        }
        return nil
    }

    static func collapse(_ s: String) -> String {
        s.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    static func decodeEntities(_ s: String) -> String {
        guard s.contains("&") else { return s }
        let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "mdash": "—",
                     "ndash": "–", "hellip": "…", "copy": "©", "rsquo": "’", "lsquo": "‘", "rdquo": "”", "ldquo": "“"]
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == "&", let semi = s[i...].prefix(12).firstIndex(of: ";") {
                let name = String(s[s.index(after: i)..<semi])
                var replacement: String?
                if name.hasPrefix("#x") || name.hasPrefix("#X") {
                    replacement = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
                } else if name.hasPrefix("#") {
                    replacement = UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) }
                } else {
                    replacement = named[name]
                }
                if let replacement {
                    out += replacement
                    i = s.index(after: semi)
                    continue
                }
            }
            out.append(s[i])
            i = s.index(after: i)
        }
        return out
    }

    static func regex(_ pattern: String) -> NSRegularExpression {
        try! NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
    }

    static func firstMatch(_ pattern: String, in s: String) -> String? {
        guard let m = regex(pattern).firstMatch(in: s, range: NSRange(s.startIndex..., in: s)),
              let r = Range(m.range(at: 1), in: s) else { return nil }
        return String(s[r])
    }
}
