import CZlib
import Foundation

/// Why gzip data could not be decompressed.
public enum GzipError: Error, Equatable, CustomStringConvertible {
    /// The data inflates past `limit` bytes (a decompression bomb, or simply too big).
    case tooLarge(limit: Int)
    /// The data is not gzip, or is damaged or cut short.
    case corrupt(String)

    public var description: String {
        switch self {
        case .tooLarge(let limit): return "decompresses to more than \(limit) bytes"
        case .corrupt(let why): return "broken gzip data: \(why)"
        }
    }
}

/// gzip decompression with zlib, stopping as soon as the output passes a size limit.
public enum Gzip {
    public static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// The decompressed bytes of one or more concatenated gzip members (as `gzip -d` reads them).
    public static func decompress(_ data: Data, limit: Int) throws(GzipError) -> Data {
        guard isGzip(data) else { throw .corrupt("no gzip header") }
        var stream = z_stream()
        // 16 + MAX_WBITS: a gzip wrapper, not raw zlib.
        guard inflateInit2_(&stream, 16 + 15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        let step = 64 * 1024
        var buffer = [UInt8](repeating: 0, count: step)
        let result: GzipError? = data.withUnsafeBytes { (input: UnsafeRawBufferPointer) -> GzipError? in
            let base = input.bindMemory(to: Bytef.self).baseAddress!
            stream.next_in = UnsafeMutablePointer(mutating: base)
            stream.avail_in = uInt(input.count)
            while true {
                let (status, produced) = buffer.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(step)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (status, step - Int(stream.avail_out))
                }
                if output.count + produced > limit { return .tooLarge(limit: limit) }
                output.append(contentsOf: buffer[0..<produced])
                switch status {
                case Z_STREAM_END:
                    // Another member may follow; anything else after the end is ignored, as gzip does.
                    let rest = Int(stream.avail_in)
                    guard rest >= 2, stream.next_in[0] == 0x1F, stream.next_in[1] == 0x8B else { return nil }
                    guard inflateReset(&stream) == Z_OK else { return .corrupt("zlib could not restart") }
                case Z_OK, Z_BUF_ERROR:
                    if stream.avail_in == 0 && produced < step { return .corrupt("data ends before the stream does") }
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    return .corrupt(message)
                }
            }
        }
        if let result { throw result }
        return output
    }
}
