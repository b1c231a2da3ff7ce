import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A memory-mapped `.safetensors` file: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the raw data.
///
/// The file is mapped read-only and never copied; every header entry is checked against the
/// file's real size before any pointer into it is handed out.
public final class SafeTensorsFile: @unchecked Sendable {
    public struct TensorInfo: Sendable {
        public let dtype: String
        public let shape: [Int]
        public let byteRange: Range<Int>
    }

    public let path: String
    public let tensors: [String: TensorInfo]
    private let base: UnsafeMutableRawPointer
    private let mappedLength: Int
    private let dataStart: Int
    /// Aligned copies made only for tensors whose offset in the file is not 4-byte aligned.
    private var alignedCopies: [UnsafeMutablePointer<Float>] = []
    private let lock = NSLock()

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            if errno == ENOENT { throw EmbeddingError.missingFile(path: path) }
            throw EmbeddingError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw EmbeddingError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        let size = Int(st.st_size)
        guard size >= 8 else {
            throw EmbeddingError.invalidSafetensors(path: path, reason: "file is \(size) bytes, too short for a header")
        }
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            throw EmbeddingError.unreadableFile(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = map
        mappedLength = size
        do {
            let headerLength = Int(map.loadUnaligned(as: UInt64.self).littleEndian)
            guard headerLength > 1, headerLength <= size - 8, headerLength < 100_000_000 else {
                throw EmbeddingError.invalidSafetensors(
                    path: path, reason: "header length \(headerLength) does not fit in a \(size)-byte file")
            }
            dataStart = 8 + headerLength
            let header = Data(bytes: map + 8, count: headerLength)
            tensors = try Self.parseHeader(header, dataLength: size - dataStart, path: path)
        } catch {
            munmap(map, size)
            throw error
        }
    }

    deinit {
        munmap(base, mappedLength)
        for p in alignedCopies { p.deallocate() }
    }

    private static func parseHeader(_ header: Data, dataLength: Int, path: String) throws -> [String: TensorInfo] {
        guard let object = try? JSONSerialization.jsonObject(with: header), let dict = object as? [String: Any] else {
            throw EmbeddingError.invalidSafetensors(path: path, reason: "header is not a JSON object")
        }
        var result: [String: TensorInfo] = [:]
        for (name, value) in dict where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = (entry["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offsets = (entry["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  offsets.count == 2
            else {
                throw EmbeddingError.invalidSafetensors(path: path, reason: "malformed header entry for \(name)")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw EmbeddingError.invalidSafetensors(
                    path: path,
                    reason: "tensor \(name) claims bytes \(begin)..<\(end) but the data section has \(dataLength) bytes (truncated file?)")
            }
            let elementSize = ["F32": 4, "I64": 8, "F16": 2, "BF16": 2, "I32": 4, "F64": 8, "U8": 1, "I8": 1, "BOOL": 1][dtype]
            let elements = shape.reduce(1) { $0 &* max($1, 0) }
            if let elementSize, shape.allSatisfy({ $0 >= 0 }), elements &* elementSize != end - begin {
                throw EmbeddingError.invalidSafetensors(
                    path: path, reason: "tensor \(name) of shape \(shape) needs \(elements * elementSize) bytes, header gives \(end - begin)")
            }
            result[name] = TensorInfo(dtype: dtype, shape: shape, byteRange: begin..<end)
        }
        return result
    }

    /// A float32 tensor of the given shape, pointing into the mapping where alignment allows.
    public func floats(_ name: String, shape: [Int]) throws -> UnsafePointer<Float> {
        guard let info = tensors[name] else { throw EmbeddingError.missingTensor(path: path, name: name) }
        guard info.shape == shape else {
            throw EmbeddingError.tensorShape(path: path, name: name, expected: shape, found: info.shape)
        }
        guard info.dtype == "F32" else {
            throw EmbeddingError.invalidSafetensors(path: path, reason: "tensor \(name) is \(info.dtype); only F32 is supported")
        }
        let start = base + dataStart + info.byteRange.lowerBound
        let count = info.byteRange.count / 4
        if Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 {
            return UnsafePointer(start.assumingMemoryBound(to: Float.self))
        }
        let copy = UnsafeMutablePointer<Float>.allocate(capacity: count)
        UnsafeMutableRawPointer(copy).copyMemory(from: start, byteCount: count * 4)
        lock.withLock { alignedCopies.append(copy) }
        return UnsafePointer(copy)
    }
}
