import Foundation

/// The folders (or files) an index was built from, so `engram index` with no argument brings them all
/// up to date and `engram status` can list them. Kept as a JSON list under the meta key `roots`.
extension IndexStore {
    public func roots() throws -> [String] {
        guard let json = try meta("roots"), let list = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) else { return [] }
        return list
    }

    /// Adds a root; one that lies under a known root adds nothing, and known roots under it are folded into it.
    public func addRoot(_ path: String) throws {
        var list = try roots()
        guard !list.contains(where: { Self.contains($0, path) }) else { return }
        list.removeAll { Self.contains(path, $0) }
        list.append(path)
        try setRoots(list.sorted())
    }

    /// Forgets the roots at or under `path` (after `engram remove path`).
    public func removeRoots(under path: String) throws {
        let list = try roots()
        let kept = list.filter { !Self.contains(path, $0) }
        if kept != list { try setRoots(kept) }
    }

    private func setRoots(_ list: [String]) throws {
        try setMeta("roots", String(decoding: try JSONEncoder().encode(list), as: UTF8.self))
    }

    /// Whether `inner` is `outer` or lies under it.
    static func contains(_ outer: String, _ inner: String) -> Bool {
        inner == outer || inner.hasPrefix(outer.hasSuffix("/") ? outer : outer + "/")
    }
}
