import EngramEmbedding
import Foundation

/// Running engram as the account `nobody`, for what only binds a non-root account (unreadable files,
/// an index one may only read). Needs root and setpriv; tests that need it are skipped otherwise.
enum Nobody {
    static let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static let available: Bool = {
        guard getuid() == 0, let setpriv else { return false }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: setpriv)
        p.arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/bin/true"]
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        return p.terminationStatus == 0
    }()

    /// A folder `nobody` may write, holding a copy of the engram binary and of the model (hard links where
    /// possible): the clone and the model may lie in folders closed to other accounts. The model keeps its
    /// folder's name, which is part of its identity, so an index built by root accepts it.
    struct Sandbox {
        let root: URL
        let engram: String
        let model: String

        init() throws {
            let fm = FileManager.default
            root = EngineSupport.temporaryFolder()
            _ = chmod(root.path, 0o777)
            engram = root.appendingPathComponent("engram").path
            try fm.copyItem(atPath: EngineSupport.engram, toPath: engram)
            let source = ModelStore.resolve(nil)
            let target = root.appendingPathComponent("model/\(source.lastPathComponent)")
            for case let relative as String in fm.enumerator(atPath: source.path)! {
                let from = source.appendingPathComponent(relative), to = target.appendingPathComponent(relative)
                var isDirectory: ObjCBool = false
                _ = fm.fileExists(atPath: from.path, isDirectory: &isDirectory)
                if isDirectory.boolValue { continue }
                try fm.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
                if link(from.path, to.path) != 0 { try fm.copyItem(at: from, to: to) }
            }
            _ = chmod(root.appendingPathComponent("model").path, 0o755)
            _ = chmod(target.path, 0o755)
            model = target.path
        }

        /// Runs the copy of engram as nobody; ENGRAM_HOME is the sandbox unless `home` says otherwise.
        func run(_ arguments: [String], home: String? = nil) throws -> (Int32, String, String) {
            try EngineSupport.run(arguments, environment: ["ENGRAM_HOME": home ?? root.path, "ENGRAM_MODEL": model, "HOME": "/nonexistent"],
                                  launcher: [Nobody.setpriv!, "--reuid=nobody", "--regid=nogroup", "--clear-groups"],
                                  binary: engram, directory: root)
        }
    }
}
