import EngramEmbedding
import Foundation

/// Which index file a command uses:
/// `--index PATH`, else `$ENGRAM_INDEX`, else `Indexes/default.sqlite` when the current folder has an
/// `Indexes/` folder, else `$ENGRAM_HOME/Indexes/default.sqlite`.
public enum IndexLocation {
    public static let rule = """
        Index: --index PATH, else $ENGRAM_INDEX, else ./Indexes/default.sqlite when ./Indexes exists, \
        else $ENGRAM_HOME/Indexes/default.sqlite (ENGRAM_HOME defaults to ~/.local/share/engram).
        """

    public static func resolve(
        _ explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: String = FileManager.default.currentDirectoryPath
    ) -> String {
        if let explicit, !explicit.isEmpty { return absolute(explicit, from: currentDirectory) }
        if let env = environment["ENGRAM_INDEX"], !env.isEmpty { return absolute(env, from: currentDirectory) }
        var isDir: ObjCBool = false
        let local = currentDirectory + "/Indexes"
        if FileManager.default.fileExists(atPath: local, isDirectory: &isDir), isDir.boolValue {
            return local + "/default.sqlite"
        }
        return ModelStore.home(environment: environment).appendingPathComponent("Indexes/default.sqlite").path
    }

    static func absolute(_ path: String, from cwd: String) -> String {
        let p = (path as NSString).expandingTildeInPath
        return p.hasPrefix("/") ? p : URL(fileURLWithPath: cwd).appendingPathComponent(p).standardizedFileURL.path
    }
}
