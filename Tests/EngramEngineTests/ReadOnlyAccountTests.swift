import EngramEmbedding
import Foundation
import Testing

/// A second account that may read the index file and its folder, and nothing more, searches it.
/// Runs only as root with `setpriv` (to become `nobody`); elsewhere it is skipped, and says why.
@Suite(.serialized) struct ReadOnlyAccountTests {
    static let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let possible = getuid() == 0 && setpriv != nil

    /// Runs engram as `nobody`: the binary, the model and every folder it needs are copied (or linked)
    /// where that account can read them.
    struct Sandbox {
        let root: URL
        let engram: String
        let model: String

        init() throws {
            let fm = FileManager.default
            root = EngineSupport.temporaryFolder()
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.path)
            engram = root.appendingPathComponent("engram").path
            try fm.copyItem(atPath: EngineSupport.engram, toPath: engram)
            // The model folder's name is part of the model's identity, so the copy keeps it.
            let source = ModelStore.resolve(nil)
            let target = root.appendingPathComponent("model/\(source.lastPathComponent)")
            try fm.createDirectory(at: target, withIntermediateDirectories: true)
            for name in try fm.subpathsOfDirectory(atPath: source.path) {
                let from = source.appendingPathComponent(name), to = target.appendingPathComponent(name)
                var isDir: ObjCBool = false
                _ = fm.fileExists(atPath: from.path, isDirectory: &isDir)
                if isDir.boolValue {
                    try fm.createDirectory(at: to, withIntermediateDirectories: true)
                } else if (try? fm.linkItem(at: from, to: to)) == nil {
                    try fm.copyItem(at: from, to: to)
                }
            }
            try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.appendingPathComponent("model").path)
            model = target.path
        }

        /// Runs engram as nobody, with `home` as its ENGRAM_HOME.
        func run(_ arguments: [String], home: String) throws -> (Int32, String, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ReadOnlyAccountTests.setpriv!)
            p.arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", engram] + arguments
            p.environment = ["ENGRAM_HOME": home, "ENGRAM_MODEL": model, "HOME": "/nonexistent", "PATH": "/usr/bin:/bin"]
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            try p.run()
            let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
        }
    }

    @Test(.enabled(if: possible, "needs root and setpriv to act as the account nobody"))
    func anAccountThatCanOnlyReadTheIndexSearchesItAndLeavesNothingBehind() throws {
        let box = try Sandbox()
        let fm = FileManager.default
        let docs = try EngineSupport.copyOfFixtures()
        let folder = box.root.appendingPathComponent("index")
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        let index = folder.appendingPathComponent("shared.sqlite").path
        #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0)
        try fm.setAttributes([.posixPermissions: 0o644], ofItemAtPath: index)

        // nobody's own memory folder, which it may write.
        let home = box.root.appendingPathComponent("nobody-home")
        try fm.createDirectory(at: home, withIntermediateDirectories: true)
        try fm.setAttributes([.ownerAccountName: "nobody", .posixPermissions: 0o755], ofItemAtPath: home.path)

        for extra in [[], ["--no-memory"], ["--explain"]] {
            let (s, out, err) = try box.run(["search", "how do tides work", "--index", index, "--json"] + extra, home: home.path)
            #expect(s == 0, "\(extra): \(err)")
            #expect(out.contains("tides.md"), "\(extra): \(out.prefix(300))")
        }
        // Memory was recorded, in nobody's store.
        let (s1, shown, _) = try box.run(["memory", "show", "--index", index, "--json"], home: home.path)
        #expect(s1 == 0 && shown.contains("\"searches\" : 2"), "\(shown)")

        // With no memory folder it can write, a search still prints its results, with one warning line.
        let (s2, out2, err2) = try box.run(["search", "sourdough", "--index", index], home: "/nonexistent/engram")
        #expect(s2 == 0 && out2.contains("sourdough"))
        #expect(err2.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(err2)")

        // Nothing was left beside the index, and the owner indexes it again.
        #expect(try fm.contentsOfDirectory(atPath: folder.path).sorted() == ["shared.sqlite", "shared.sqlite.lock"])
        try EngineSupport.write("# Tides again\n\nA new note about the tides.\n", to: docs.appendingPathComponent("notes/more-tides.md"))
        let (s3, out3, err3) = try EngineSupport.run(["index", docs.path, "--index", index])
        #expect(s3 == 0 && out3.contains("added 1"), "\(err3)")
    }
}
