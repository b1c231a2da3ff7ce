import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one-writer rule of an index: an exclusive `flock` on `INDEX.lock`, held for a whole indexing or
/// removal run, so two writers never interleave their batches (which would duplicate documents).
///
/// Readers never take it: they read the last committed state through SQLite's WAL. The lock file holds
/// the holder's pid so a waiting writer can say whom it waits for. The kernel releases the lock when the
/// holder exits, even on `kill -9`, so a stale lock file never blocks anyone.
public final class WriterLock {
    public let path: String
    private let fd: Int32

    /// What to do when another process holds the lock.
    public enum Wait: Sendable {
        /// Block until it is free; `notice` is called once, with the holder's pid (0 when unknown), before waiting.
        case wait(notice: @Sendable (Int32) -> Void)
        /// Fail at once with `StoreError.busy`.
        case fail
    }

    public init(index: String, wait: Wait) throws {
        path = index + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StoreError.cannotOpen(path: index, message: "cannot create the writer lock \(path): \(String(cString: strerror(errno)))")
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = Self.holder(fd)
            switch wait {
            case .fail:
                close(fd)
                throw StoreError.busy(path: index, pid: holder)
            case .wait(let notice):
                notice(holder)
                while flock(fd, LOCK_EX) != 0 {
                    guard errno == EINTR else {
                        let message = String(cString: strerror(errno))
                        close(fd)
                        throw StoreError.cannotOpen(path: index, message: "cannot lock \(path): \(message)")
                    }
                }
            }
        }
        // Ours now: record who holds it.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }

    private static func holder(_ fd: Int32) -> Int32 {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 31, 0) }
        guard n > 0 else { return 0 }
        return Int32(String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}
