import EngramEmbedding
import EngramStore
import Foundation
import Testing

/// Faults seen through the `engram` binary: what is skipped is counted and named, a bad limit is refused
/// before anything is touched, and what cannot be read now is never taken for deleted.
@Suite(.serialized) struct FaultTests {
    /// Whether this machine can run a command as `nobody` (root with setpriv): permissions only bind a
    /// non-root account, so the unreadable-file test needs one.
    static let canRunAsNobody: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            print("FaultTests: not root or no setpriv; the unreadable-file test is skipped")
            return false
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/bin/true"]
        guard (try? p.run()) != nil else { return false }
        p.waitUntilExit()
        if p.terminationStatus != 0 { print("FaultTests: setpriv cannot switch to nobody; the unreadable-file test is skipped") }
        return p.terminationStatus == 0
    }()

    static func documents(_ index: String) throws -> Set<String> {
        Set(try IndexStore(path: index, create: false).documents().map { ($0.path as NSString).lastPathComponent })
    }

    static func json(_ out: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    }

    @Test func skippedFilesAreCountedByReasonAndNamedWhenAsked() throws {
        let folder = EngineSupport.temporaryFolder().appendingPathComponent("docs")
        try EngineSupport.write("# Tides\n\nThe moon pulls the sea.\n", to: folder.appendingPathComponent("tides.md"))
        try EngineSupport.write("Engram reads this file though it has no extension.\n", to: folder.appendingPathComponent("AUTHORS"))
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00]).write(to: folder.appendingPathComponent("photo.png"))
        try Data([0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00]).write(to: folder.appendingPathComponent("a.out"))
        try Data(repeating: 0x61, count: 4_000).write(to: folder.appendingPathComponent("big.txt"))
        let index = EngineSupport.temporaryFolder().appendingPathComponent("i.sqlite").path

        let (s1, out1, err1) = try EngineSupport.run(["index", folder.path, "--index", index, "--max-file-size", "2k"])
        #expect(s1 == 0, "\(err1)")
        let lines = out1.split(separator: "\n")
        #expect(lines.first?.hasPrefix("added 2,") == true, "\(out1)")
        #expect(lines.last == "skipped 3: binary 2, too large 1", "\(out1)")
        // Binary files are only counted; other skips are named.
        #expect(err1.contains("big.txt") && !err1.contains("photo.png") && !err1.contains("a.out"), "\(err1)")
        #expect(try Self.documents(index) == ["tides.md", "AUTHORS"])

        let (s2, out2, err2) = try EngineSupport.run(["index", folder.path, "--index", index, "--max-file-size", "2k", "--verbose", "--json"])
        #expect(s2 == 0)
        let named = err2.split(separator: "\n")
        #expect(named.count == 3 && ["big.txt", "photo.png", "a.out"].allSatisfy { n in named.contains { $0.contains(n) } }, "\(err2)")
        let object = try Self.json(out2)
        #expect(object["skipped"] as? Int == 3 && object["unsupported"] as? Int == 2 && object["unchanged"] as? Int == 2)
        #expect(object["skipped_reasons"] as? [String: Int] == ["binary": 2, "too_large": 1])
    }

    @Test func aBadSizeLimitLeavesTheIndexAlone() throws {
        let index = EngineSupport.temporaryFolder().appendingPathComponent("i.sqlite").path
        let (s, _, err) = try EngineSupport.run(["index", EngineSupport.fixtures.path, "--index", index, "--quiet"])
        #expect(s == 0, "\(err)")
        let before = try Self.documents(index)
        #expect(before.count == 9)
        for bad in ["0", "-5M", "1e300K", "nanM"] {
            let (status, _, e) = try EngineSupport.run(["index", EngineSupport.fixtures.path, "--index", index, "--max-file-size=\(bad)"])
            #expect(status == 64, "\(bad): \(e)")
            #expect(try Self.documents(index) == before, "\(bad)")
        }
    }

    /// Runs the copy of engram in `home` as `nobody`, with the copy of the model there.
    static func runAsNobody(_ arguments: [String], home: URL) throws -> (Int32, String, String) {
        try EngineSupport.run(arguments, environment: ["ENGRAM_HOME": home.path, "ENGRAM_MODEL": home.appendingPathComponent("model").path],
                              launcher: ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"],
                              binary: home.appendingPathComponent("engram").path, directory: home)
    }

    /// A folder `nobody` may write, holding the engram binary and a model it may read (hard links where
    /// possible, else copies): the clone and the model may lie in folders closed to other accounts.
    static func nobodyHome() throws -> URL {
        let fm = FileManager.default
        let home = EngineSupport.temporaryFolder()
        try fm.copyItem(atPath: EngineSupport.engram, toPath: home.appendingPathComponent("engram").path)
        let model = ModelStore.resolve(nil)
        let copy = home.appendingPathComponent("model")
        for case let relative as String in fm.enumerator(atPath: model.path)! {
            let source = model.appendingPathComponent(relative), target = copy.appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            _ = fm.fileExists(atPath: source.path, isDirectory: &isDirectory)
            if isDirectory.boolValue { continue }
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if link(source.path, target.path) != 0 { try fm.copyItem(at: source, to: target) }
        }
        _ = chmod(home.path, 0o777)
        return home
    }

    @Test(.enabled(if: FaultTests.canRunAsNobody, "needs root and setpriv to run engram as nobody"))
    func unreadableFilesAndFoldersKeepTheirDocuments() throws {
        let home = try Self.nobodyHome()
        let docs = home.appendingPathComponent("docs")
        let files = ["kept.md": "# Kept\n\nAlways readable.\n", "locked.md": "# Locked\n\nSoon unreadable.\n",
                     "gone.md": "# Gone\n\nSoon deleted.\n", "shut/inner.md": "# Inner\n\nIn a folder that cannot be opened.\n",
                     "dim/deep.md": "# Deep\n\nIn a folder that can be listed but not entered.\n"]
        for (name, text) in files { try EngineSupport.write(text, to: docs.appendingPathComponent(name)) }
        for folder in [docs, docs.appendingPathComponent("shut"), docs.appendingPathComponent("dim")] { _ = chmod(folder.path, 0o777) }
        let index = home.appendingPathComponent("i.sqlite").path
        let all: Set<String> = ["kept.md", "locked.md", "gone.md", "inner.md", "deep.md"]

        let (s1, out1, err1) = try Self.runAsNobody(["index", docs.path, "--index", index, "--json"], home: home)
        #expect(s1 == 0, "\(err1)")
        #expect(try Self.json(out1)["added"] as? Int == 5)

        _ = chmod(docs.appendingPathComponent("locked.md").path, 0o000)
        _ = chmod(docs.appendingPathComponent("shut").path, 0o000)
        _ = chmod(docs.appendingPathComponent("dim").path, 0o666)
        try FileManager.default.removeItem(at: docs.appendingPathComponent("gone.md"))
        let (s2, out2, err2) = try Self.runAsNobody(["index", docs.path, "--index", index, "--json"], home: home)
        #expect(s2 == 0, "\(err2)")
        let second = try Self.json(out2)
        // Only the deleted file leaves; the three that cannot be read now are warned about and kept.
        #expect(second["removed"] as? Int == 1, "\(out2)")
        #expect(second["skipped_reasons"] as? [String: Int] == ["unreadable": 3], "\(out2)")
        #expect(["locked.md", "shut", "deep.md"].allSatisfy { err2.contains($0) }, "\(err2)")
        #expect(try Self.documents(index) == all.subtracting(["gone.md"]))

        // Readable again: nothing to redo, nothing lost.
        _ = chmod(docs.appendingPathComponent("locked.md").path, 0o644)
        _ = chmod(docs.appendingPathComponent("shut").path, 0o777)
        _ = chmod(docs.appendingPathComponent("dim").path, 0o777)
        let (s3, out3, err3) = try Self.runAsNobody(["index", docs.path, "--index", index, "--json"], home: home)
        #expect(s3 == 0, "\(err3)")
        let third = try Self.json(out3)
        #expect(third["unchanged"] as? Int == 4 && third["removed"] as? Int == 0 && third["skipped"] as? Int == 0, "\(out3)")
        #expect(try Self.documents(index) == all.subtracting(["gone.md"]))
    }
}
