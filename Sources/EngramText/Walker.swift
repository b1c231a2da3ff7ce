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
    public let reason: String
}

/// Recursive folder walk with POSIX `readdir`/`stat` (Foundation's resource values are ~15× slower here).
///
/// Honours `.gitignore` and `.engramignore` in every folder, skips hidden entries unless asked,
/// follows symbolic links but never enters a folder twice (so link loops end), and keeps only
/// files whose type Engram can read.
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
        /// Files of types Engram does not read (images, archives, …): counted, not warned about.
        public var unsupported = 0
    }

    public func walk(_ root: String) -> Result {
        var result = Result()
        var visited = Set<String>()
        var st = stat()
        guard stat(root, &st) == 0 else {
            result.skipped.append(SkippedFile(path: root, reason: String(cString: strerror(errno))))
            return result
        }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            consider(root, st, into: &result)
            return result
        }
        var rules = IgnoreRules()
        walkFolder(root, relative: "", rules: &rules, visited: &visited, into: &result)
        result.files.sort { $0.path < $1.path }
        return result
    }

    private func walkFolder(_ folder: String, relative: String, rules: inout IgnoreRules, visited: inout Set<String>,
                            into result: inout Result) {
        var st = stat()
        guard stat(folder, &st) == 0 else { return }
        let key = "\(st.st_dev):\(st.st_ino)"
        guard visited.insert(key).inserted else { return }  // already walked (symlink loop or second link)

        guard let dir = opendir(folder) else {
            result.skipped.append(SkippedFile(path: folder, reason: "cannot open folder: \(String(cString: strerror(errno)))"))
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
                var link = stat()
                let reason = lstat(path, &link) == 0 && (link.st_mode & S_IFMT) == S_IFLNK
                    ? "broken symbolic link" : String(cString: strerror(errno))
                if !rules.isIgnored(rel, isDirectory: false) {
                    result.skipped.append(SkippedFile(path: path, reason: reason))
                }
                continue
            }
            let isDirectory = (entry.st_mode & S_IFMT) == S_IFDIR
            if rules.isIgnored(rel, isDirectory: isDirectory) { continue }
            if isDirectory {
                walkFolder(path, relative: rel, rules: &rules, visited: &visited, into: &result)
            } else if (entry.st_mode & S_IFMT) == S_IFREG {
                consider(path, entry, into: &result)
            }
        }
        rules = saved
    }

    private func consider(_ path: String, _ st: stat, into result: inout Result) {
        guard DocumentType(path: path) != nil else {
            result.unsupported += 1
            return
        }
        let size = Int64(st.st_size)
        if size > maxFileSize {
            result.skipped.append(SkippedFile(path: path, reason: "larger than --max-file-size (\(size) > \(maxFileSize) bytes)"))
            return
        }
        guard access(path, R_OK) == 0 else {
            result.skipped.append(SkippedFile(path: path, reason: "unreadable: \(String(cString: strerror(errno)))"))
            return
        }
        let mtime = Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
        result.files.append(FoundFile(path: path, size: size, mtime: mtime))
    }
}
