import Foundation

/// `.gitignore`-style rules (also used for `.engramignore`): comments, `!` negation, trailing `/`
/// for folders only, patterns with a slash anchored to the file's folder, `*`, `?`, `[…]` and `**`.
/// Later rules win over earlier ones, and rules of deeper folders come later.
public struct IgnoreRules: Sendable {
    struct Rule: Sendable {
        let regex: NSRegularExpressionBox
        let negated: Bool
        let directoryOnly: Bool
        /// Folder the rule file lives in, relative to the walk root ("" for the root), with a trailing slash.
        let base: String
    }

    private(set) var rules: [Rule] = []

    public init() {}

    /// Adds the rules of one ignore file whose folder is `base` (relative to the walk root).
    public mutating func add(contents: String, base: String) {
        let prefix = base.isEmpty ? "" : (base.hasSuffix("/") ? base : base + "/")
        for rawLine in contents.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            var line = String(rawLine)
            while line.hasSuffix(" ") && !line.hasSuffix("\\ ") { line.removeLast() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            var negated = false
            if line.hasPrefix("!") { negated = true; line.removeFirst() }
            else if line.hasPrefix("\\!") || line.hasPrefix("\\#") { line.removeFirst() }
            var directoryOnly = false
            if line.hasSuffix("/") { directoryOnly = true; line.removeLast() }
            if line.isEmpty { continue }
            let anchored = line.contains("/")
            if line.hasPrefix("/") { line.removeFirst() }
            let body = Self.translate(line)
            let pattern = anchored ? "^\(body)$" : "^(?:.*/)?\(body)$"
            guard let regex = try? NSRegularExpression(pattern: pattern) else { continue }
            rules.append(Rule(regex: NSRegularExpressionBox(regex), negated: negated, directoryOnly: directoryOnly, base: prefix))
        }
    }

    /// Whether `relativePath` (from the walk root, no leading slash) is ignored.
    public func isIgnored(_ relativePath: String, isDirectory: Bool) -> Bool {
        var ignored = false
        for rule in rules where !(rule.directoryOnly && !isDirectory) {
            guard relativePath.hasPrefix(rule.base) else { continue }
            let local = String(relativePath.dropFirst(rule.base.count))
            if rule.regex.matches(local) { ignored = !rule.negated }
        }
        return ignored
    }

    /// Glob → regular expression body.
    static func translate(_ glob: String) -> String {
        var out = ""
        let chars = Array(glob)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "*":
                if i + 1 < chars.count && chars[i + 1] == "*" {
                    let atStart = i == 0 || chars[i - 1] == "/"
                    let slashAfter = i + 2 < chars.count && chars[i + 2] == "/"
                    if atStart && slashAfter {
                        out += "(?:.*/)?"; i += 3; continue
                    }
                    out += ".*"; i += 2; continue
                }
                out += "[^/]*"
            case "?": out += "[^/]"
            case "[":
                if let close = chars[(i + 1)...].firstIndex(of: "]") {
                    var cls = String(chars[(i + 1)..<close])
                    if cls.hasPrefix("!") { cls = "^" + cls.dropFirst() }
                    out += "[" + cls.replacingOccurrences(of: "\\", with: "\\\\") + "]"
                    i = close + 1
                    continue
                }
                out += "\\["
            case "\\":
                if i + 1 < chars.count { out += NSRegularExpression.escapedPattern(for: String(chars[i + 1])); i += 2; continue }
                out += "\\\\"
            default:
                out += NSRegularExpression.escapedPattern(for: String(c))
            }
            i += 1
        }
        return out
    }
}

/// `NSRegularExpression` is immutable once made; this box lets rules cross threads.
struct NSRegularExpressionBox: @unchecked Sendable {
    let regex: NSRegularExpression
    init(_ regex: NSRegularExpression) { self.regex = regex }
    func matches(_ s: String) -> Bool {
        regex.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }
}
