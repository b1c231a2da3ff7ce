import Foundation

/// Pretty, stable JSON for one result object.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// One JSON object on one line (for streams such as `engram embed --json`).
func printJSONLine<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// A command's failure that is not a usage mistake: one line, no usage text, exit 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes `text` to `path` through a temporary file in the same folder, renamed into place: a failure
/// (full disk, a folder in the way) leaves no partial or empty file, and any earlier file stays whole.
func writeAtomically(_ text: String, to path: String) throws {
    let target = URL(fileURLWithPath: path)
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
        throw CommandError("cannot write \(path): it is a folder")
    }
    let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).\(getpid()).tmp")
    do {
        try Data(text.utf8).write(to: temporary)
        guard rename(temporary.path, path) == 0 else {
            throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno), userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(errno))])
        }
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        throw CommandError("cannot write \(path): \(posix.map { String(cString: strerror(Int32($0.code))) } ?? error.localizedDescription)")
    }
}
