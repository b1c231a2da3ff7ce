#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Tells when something changed under a set of folders: through inotify where it is available (every
/// folder watched, new ones added as they appear), else by polling a signature of the tree (paths,
/// sizes, modification times). Changes are debounced: `wait()` returns once the tree has been quiet
/// for `debounce` seconds after a change, so a burst of saves costs one indexing run.
public final class FolderWatcher {
    public enum Mode: Equatable, Sendable {
        case inotify
        case polling(interval: TimeInterval)
    }

    public let roots: [String]
    public let debounce: TimeInterval
    public private(set) var mode: Mode
    /// Paths whose changes are not changes of the tree: the index itself, when it lives inside a watched folder.
    let ignoredPrefixes: [String]
    let includeHidden: Bool
    let warn: (String) -> Void
    private var fd: Int32 = -1
    private var folders: [Int32: String] = [:]
    private var watched: Set<String> = []
    private var signature = 0

    // inotify's event bits (linux/inotify.h); spelled out because the C macros do not all import.
    private static let changeMask: UInt32 = 0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800  // modify attrib close_write moves create delete self
    private static let overflow: UInt32 = 0x4000
    private static let isFolder: UInt32 = 0x4000_0000

    /// Starts watching; falls back to polling every `pollInterval` seconds when inotify is missing or
    /// out of watches (`forcePolling` asks for polling from the start).
    public init(roots: [String], debounce: TimeInterval, pollInterval: TimeInterval = 2, forcePolling: Bool = false,
                includeHidden: Bool = false, ignoring ignored: [String] = [], warn: @escaping (String) -> Void = { _ in }) {
        self.roots = roots.map { URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath().path }
        self.debounce = debounce
        self.includeHidden = includeHidden
        ignoredPrefixes = ignored
        self.warn = warn
        mode = .polling(interval: pollInterval)
        #if canImport(Glibc)
        if !forcePolling {
            fd = inotify_init1(Int32(O_CLOEXEC | O_NONBLOCK))
            if fd >= 0, addWatches() {
                mode = .inotify
            } else {
                if fd >= 0 { close(fd); fd = -1 }
                warn("inotify unavailable (\(String(cString: strerror(errno)))): polling every \(pollInterval) s")
            }
        }
        #endif
        if case .polling = mode { signature = treeSignature() }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Blocks until the tree changed and then stayed quiet for `debounce` seconds.
    public func wait() {
        switch mode {
        case .inotify: waitInotify()
        case .polling(let interval): waitPolling(interval)
        }
    }

    // MARK: Polling

    private func waitPolling(_ interval: TimeInterval) {
        var changedAt: Date?
        while true {
            Thread.sleep(forTimeInterval: changedAt == nil ? interval : min(interval, debounce))
            let now = treeSignature()
            if now != signature {
                signature = now
                changedAt = Date()
            } else if let changedAt, Date().timeIntervalSince(changedAt) >= debounce {
                return
            }
        }
    }

    /// A hash of every file's path, size and modification time under the roots.
    func treeSignature() -> Int {
        var hasher = Hasher()
        for root in roots {
            hasher.combine(root)
            let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey]
            let options: FileManager.DirectoryEnumerationOptions = includeHidden ? [] : [.skipsHiddenFiles]
            guard let e = FileManager.default.enumerator(at: URL(fileURLWithPath: root), includingPropertiesForKeys: keys, options: options)
            else { continue }
            for case let url as URL in e where !ignored(url.path) {
                let values = try? url.resourceValues(forKeys: Set(keys))
                hasher.combine(url.path)
                hasher.combine(values?.fileSize)
                hasher.combine(values?.contentModificationDate?.timeIntervalSince1970)
            }
        }
        return hasher.finalize()
    }

    func ignored(_ path: String) -> Bool { ignoredPrefixes.contains { path.hasPrefix($0) } }

    // MARK: inotify

    #if canImport(Glibc)
    /// Watches every folder under the roots not yet watched; false when the kernel refuses one.
    private func addWatches() -> Bool {
        for root in roots {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isFolder) else { continue }
            // A single file: watch its folder.
            var stack = [isFolder.boolValue ? root : (root as NSString).deletingLastPathComponent]
            while let folder = stack.popLast() {
                guard !watched.contains(folder) else { continue }
                let wd = inotify_add_watch(fd, folder, Self.changeMask)
                guard wd >= 0 else {
                    if errno == ENOENT || errno == EACCES { continue }
                    return false
                }
                folders[wd] = folder
                watched.insert(folder)
                guard isFolder.boolValue, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
                for name in names where includeHidden || !name.hasPrefix(".") {
                    let path = folder + "/" + name
                    var sub: ObjCBool = false
                    if FileManager.default.fileExists(atPath: path, isDirectory: &sub), sub.boolValue { stack.append(path) }
                }
            }
        }
        return true
    }

    private func waitInotify() {
        var changedAt: Date?
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let timeout = changedAt.map { max(0, Int32((debounce - Date().timeIntervalSince($0)) * 1000)) } ?? -1
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, timeout)
            if ready == 0 {
                // Quiet for the debounce period: pick up folders created meanwhile, then report.
                if !addWatches() { warn("inotify is out of watches; changes in new folders may be missed") }
                return
            }
            guard ready > 0 else { continue }
            var relevant = false
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { break }
                var offset = 0
                while offset + 16 <= n {
                    // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[]; }
                    let (wd, mask, length) = buffer.withUnsafeBytes { raw in
                        (raw.load(fromByteOffset: offset, as: Int32.self), raw.load(fromByteOffset: offset + 4, as: UInt32.self),
                         Int(raw.load(fromByteOffset: offset + 12, as: UInt32.self)))
                    }
                    let nameBytes = buffer[(offset + 16)..<min(n, offset + 16 + length)].prefix { $0 != 0 }
                    let name = String(decoding: nameBytes, as: UTF8.self)
                    offset += 16 + length
                    if mask & Self.overflow != 0 { relevant = true; continue }
                    let path = (folders[wd] ?? "") + (name.isEmpty ? "" : "/" + name)
                    if ignored(path) { continue }
                    if !includeHidden && name.hasPrefix(".") && mask & Self.isFolder == 0 && name != ".gitignore" && name != ".engramignore" { continue }
                    relevant = true
                }
            }
            if relevant { changedAt = Date() }
        }
    }
    #else
    private func addWatches() -> Bool { false }
    private func waitInotify() {}
    #endif
}
