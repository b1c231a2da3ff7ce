import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file found by the walk.
public struct FoundFile: Sendable, Equatable {
    public let path: String
    public let size: Int64
    public let mtime: Double
}

/// A file the walk passed over, and why.
public struct SkippedFile: Sendable, Equatable {
    public let path: String
    public let kind: SkipReason
    public let reason: String
}

/// Recursive folder walk with POSIX `readdir`/`stat` (Foundation's resource values are ~15× slower here).
///
/// Honours `.gitignore` and `.engramignore` in every folder, skips hidden entries unless asked,
/// and skips files of binary formats by name. A symbolic link to a file or folder inside the walked
/// tree is not followed, so every file is found once, under its real path; links that lead out of the
/// tree are followed, and no folder is entered twice (so link loops end).
public struct Walker: Sendable {
    public var includeHidden = false
    public var maxFileSize: Int64 = 10_000_000

    public init(includeHidden: Bool = false, maxFileSize: Int64 = 10_000_000) {
        self.includeHidden = includeHidden
        self.maxFileSize = maxFileSize
    }

    public struct Result: Sendable {
        public var files: [FoundFile] = []
        public var skipped: [SkippedFile] = []
        /// Files skipped as binary by name (images, archives, …), also in `skipped`.
        public var unsupported = 0
        /// Files and folders that exist but could not be read or listed (permissions, I/O errors):
        /// what the index holds under them is kept, not taken for deleted.
        public var unreachable: Set<String> = []

        public init() {}

        /// Whether `path` is, or lies under, something the walk could not read.
        public func isUnreachable(_ path: String) -> Bool {
            guard !unreachable.isEmpty else { return false }
            var p = Substring(path)
            while !p.isEmpty {
                if unreachable.contains(String(p)) { return true }
                guard let slash = p.lastIndex(of: "/") else { return false }
                p = p[..<slash]
            }
            return false
        }
    }

    public func walk(_ root: String) -> Result {
        var result = Result()
        var visited = Set<String>()
        var st = stat()
        guard stat(root, &st) == 0 else {
            let code = errno
            if !Self.isGone(code) { result.unreachable.insert(root) }
            result.skipped.append(SkippedFile(path: root, kind: .unreadable, reason: String(cString: strerror(code))))
            return result
        }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            consider(root, st, into: &result)
            return result
        }
        var rules = IgnoreRules()
        let tree = Self.realPath(root) ?? root
        walkFolder(root, relative: "", tree: tree.hasSuffix("/") ? tree : tree + "/", rules: &rules, visited: &visited,
                   into: &result)
        result.files.sort { $0.path < $1.path }
        return result
    }

    /// Whether a failed `stat`'s errno means the path no longer exists (as opposed to cannot be read now).
    public static func isGone(_ code: Int32) -> Bool { code == ENOENT || code == ENOTDIR }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private func walkFolder(_ folder: String, relative: String, tree: String, rules: inout IgnoreRules,
                            visited: inout Set<String>, into result: inout Result) {
        var st = stat()
        guard stat(folder, &st) == 0 else { return }
        let key = "\(st.st_dev):\(st.st_ino)"
        guard visited.insert(key).inserted else { return }  // already walked (symlink loop or second link)

        guard let dir = opendir(folder) else {
            let code = errno
            if !Self.isGone(code) { result.unreachable.insert(folder) }
            result.skipped.append(SkippedFile(path: folder, kind: .unreadable,
                                              reason: "cannot open folder: \(String(cString: strerror(code)))"))
            return
        }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(dir)

        let saved = rules
        for ignoreFile in [".gitignore", ".engramignore"] where names.contains(ignoreFile) {
            if let text = try? String(contentsOfFile: folder + "/" + ignoreFile, encoding: .utf8) {
                rules.add(contents: text, base: relative)
            }
        }
        for name in names.sorted() {
            if name == ".git" { continue }
            if name.hasPrefix(".") && !includeHidden { continue }
            let path = folder.hasSuffix("/") ? folder + name : folder + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            var entry = stat()
            guard stat(path, &entry) == 0 else {
                let code = errno
                var link = stat()
                let isLink = lstat(path, &link) == 0 && (link.st_mode & S_IFMT) == S_IFLNK
                if !rules.isIgnored(rel, isDirectory: false) {
                    if isLink && Self.isGone(code) {
                        result.skipped.append(SkippedFile(path: path, kind: .brokenLink, reason: "broken symbolic link"))
                    } else {
                        if !Self.isGone(code) { result.unreachable.insert(path) }
                        result.skipped.append(SkippedFile(path: path, kind: .unreadable, reason: String(cString: strerror(code))))
                    }
                }
                continue
            }
            let isDirectory = (entry.st_mode & S_IFMT) == S_IFDIR
            if rules.isIgnored(rel, isDirectory: isDirectory) { continue }
            // A link into the walked tree: its target is (or was) found under its own path.
            var link = stat()
            if lstat(path, &link) == 0 && (link.st_mode & S_IFMT) == S_IFLNK,
               let target = Self.realPath(path), target.hasPrefix(tree) || target + "/" == tree {
                continue
            }
            if isDirectory {
                walkFolder(path, relative: rel, tree: tree, rules: &rules, visited: &visited, into: &result)
            } else if (entry.st_mode & S_IFMT) == S_IFREG {
                consider(path, entry, into: &result)
            }
        }
        rules = saved
    }

    private func consider(_ path: String, _ st: stat, into result: inout Result) {
        if FileKind(path: path) == .binary {
            result.unsupported += 1
            result.skipped.append(SkippedFile(path: path, kind: .binary, reason: "binary file type"))
            return
        }
        let size = Int64(st.st_size)
        if size > maxFileSize {
            result.skipped.append(SkippedFile(path: path, kind: .tooLarge,
                                              reason: "larger than --max-file-size (\(size) > \(maxFileSize) bytes)"))
            return
        }
        guard access(path, R_OK) == 0 else {
            let code = errno
            if !Self.isGone(code) { result.unreachable.insert(path) }
            result.skipped.append(SkippedFile(path: path, kind: .unreadable, reason: "unreadable: \(String(cString: strerror(code)))"))
            return
        }
        let mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
        result.files.append(FoundFile(path: path, size: size, mtime: mtime))
    }
}
