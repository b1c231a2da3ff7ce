import Foundation

/// Everything that can go wrong while locating, verifying, loading or running a model.
///
/// Each case carries the path it concerns, so the CLI can print one line that names the file.
public enum EmbeddingError: Error, CustomStringConvertible, Equatable {
    case modelNotFound(path: String)
    case missingFile(path: String)
    case unreadableFile(path: String, reason: String)
    case invalidConfig(path: String, reason: String)
    case invalidSafetensors(path: String, reason: String)
    case missingTensor(path: String, name: String)
    case tensorShape(path: String, name: String, expected: [Int], found: [Int])
    case checksumMismatch(path: String, expected: String, found: String)
    case installFailed(reason: String)
    /// The reduced-precision backend (oneDNN) refused the model's shapes or could not start.
    case backend(String)

    public var description: String {
        switch self {
        case .modelNotFound(let path):
            return "no model at \(path): run `engram model install` (or pass --model DIR / set ENGRAM_MODEL)"
        case .missingFile(let path):
            return "model file missing: \(path): reinstall with `engram model install`"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .invalidConfig(let path, let reason):
            return "invalid model config \(path): \(reason)"
        case .invalidSafetensors(let path, let reason):
            return "corrupt safetensors file \(path): \(reason): reinstall with `engram model install`"
        case .missingTensor(let path, let name):
            return "tensor \(name) missing from \(path)"
        case .tensorShape(let path, let name, let expected, let found):
            return "tensor \(name) in \(path) has shape \(found), expected \(expected)"
        case .checksumMismatch(let path, let expected, let found):
            return "checksum mismatch for \(path): expected sha256 \(expected), found \(found): reinstall with `engram model install`"
        case .installFailed(let reason):
            return "model install failed: \(reason)"
        case .backend(let reason):
            return "\(reason) (`--precision fp32` runs without it)"
        }
    }

    /// The file or folder the error is about, when there is one.
    public var path: String? {
        switch self {
        case .modelNotFound(let p), .missingFile(let p), .unreadableFile(let p, _), .invalidConfig(let p, _),
             .invalidSafetensors(let p, _), .missingTensor(let p, _), .tensorShape(let p, _, _, _),
             .checksumMismatch(let p, _, _):
            return p
        case .installFailed, .backend:
            return nil
        }
    }
}
