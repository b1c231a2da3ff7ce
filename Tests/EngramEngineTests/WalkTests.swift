import EngramText
import Foundation
import Testing

/// The folder walk on its own: links, and skipped files with their reasons.
@Suite struct WalkTests {
    @Test func aFileReachedThroughLinksIsFoundOnceUnderItsRealPath() throws {
        let base = EngineSupport.temporaryFolder()
        let tree = base.appendingPathComponent("tree"), outside = base.appendingPathComponent("outside")
        let fm = FileManager.default
        try EngineSupport.write("# A\n", to: tree.appendingPathComponent("notes/a.md"))
        try EngineSupport.write("# B\n", to: tree.appendingPathComponent("b.md"))
        try EngineSupport.write("# Out\n", to: outside.appendingPathComponent("out.md"))
        // Links sort before their targets ("0-…" < "b.md" < "notes"), so a first-found rule would pick them.
        try fm.createSymbolicLink(atPath: tree.appendingPathComponent("0-link-to-b.md").path, withDestinationPath: "b.md")
        try fm.createSymbolicLink(atPath: tree.appendingPathComponent("0-notes").path, withDestinationPath: "notes")
        try fm.createSymbolicLink(atPath: tree.appendingPathComponent("notes/up").path, withDestinationPath: "..")
        try fm.createSymbolicLink(atPath: tree.appendingPathComponent("out").path, withDestinationPath: outside.path)
        let result = Walker().walk(tree.path)
        let relative = result.files.map { String($0.path.dropFirst(tree.path.count + 1)) }
        #expect(relative == ["b.md", "notes/a.md", "out/out.md"])
        #expect(result.skipped.isEmpty && result.unreachable.isEmpty)
    }

    @Test func skippedFilesCarryTheirReason() throws {
        let tree = EngineSupport.temporaryFolder()
        try Data([0x89, 0x50, 0x4E, 0x47]).write(to: tree.appendingPathComponent("photo.png"))
        try Data(repeating: 0x61, count: 2_000).write(to: tree.appendingPathComponent("big.txt"))
        try EngineSupport.write("text\n", to: tree.appendingPathComponent("README"))
        try FileManager.default.createSymbolicLink(atPath: tree.appendingPathComponent("gone.md").path, withDestinationPath: "nowhere.md")
        let result = Walker(maxFileSize: 1_000).walk(tree.path)
        let kinds = Dictionary(uniqueKeysWithValues: result.skipped.map { (($0.path as NSString).lastPathComponent, $0.kind) })
        #expect(kinds == ["photo.png": .binary, "big.txt": .tooLarge, "gone.md": .brokenLink])
        #expect(result.files.map { ($0.path as NSString).lastPathComponent } == ["README"])
        #expect(result.unsupported == 1)
        // A vanished root is gone, not unreadable: nothing under it is kept.
        let missing = Walker().walk(tree.appendingPathComponent("nope").path)
        #expect(missing.unreachable.isEmpty && missing.files.isEmpty)
    }

    @Test func dotfilesAreReadByContentOnlyWithHidden() throws {
        let tree = EngineSupport.temporaryFolder()
        try EngineSupport.write("alias ll='ls -l'\n", to: tree.appendingPathComponent(".bashrc"))
        try EngineSupport.write("Plain words.\n", to: tree.appendingPathComponent("NOTES"))
        let names = { (w: Walker) in w.walk(tree.path).files.map { ($0.path as NSString).lastPathComponent } }
        #expect(names(Walker()) == ["NOTES"])
        #expect(names(Walker(includeHidden: true)) == [".bashrc", "NOTES"])
        #expect(FileKind(path: tree.appendingPathComponent(".bashrc").path) == .unknown)
        let e = try TextExtractor().extract(path: tree.appendingPathComponent(".bashrc").path, data: Data("alias ll='ls -l'\n".utf8))
        #expect(e.type == .text && e.title == ".bashrc")
    }

    @Test func whatLiesUnderAnUnreadableFolderIsUnreachable() {
        var result = Walker.Result()
        result.unreachable = ["/a/shut", "/a/f.md"]
        #expect(result.isUnreachable("/a/shut") && result.isUnreachable("/a/shut/x/y.md") && result.isUnreachable("/a/f.md"))
        #expect(!result.isUnreachable("/a/shutter/z.md") && !result.isUnreachable("/a/f.md.bak") && !result.isUnreachable("/a/other.md"))
        #expect(!result.isUnreachable("/a") && !Walker.Result().isUnreachable("/a/shut"))
    }

    @Test func maxFileSizeValuesAreReadStrictly() throws {
        // Read through the binary: validation happens before the index or the model is touched.
        for bad in ["1e300K", "infG", "nanM", "-5M", "0", "", "0.1", "12Q", "1.2.3", "2000T", "99999999999999999999"] {
            // Written so that the value reaches the check: "--max-file-size=" would be a missing value, "-5M" an option.
            let option = bad.hasPrefix("-") ? ["--max-file-size=\(bad)"] : ["--max-file-size", bad]
            let (status, out, err) = try EngineSupport.run(["index", "/nonexistent-never-read"] + option)
            #expect(status == 64, "\(bad): \(status) \(err)")
            #expect(err.contains("--max-file-size") && err.contains("\"\(bad)\""), "\(bad): \(err)")
            #expect(!err.contains("Fatal error") && out.isEmpty, "\(bad)")
        }
        // Good sizes pass this check and fail on the next one, the missing folder.
        for good in ["10M", "1.5k", ".5K", "2G", "1T", "2000000", "3kb"] {
            let (status, _, err) = try EngineSupport.run(["index", "/nonexistent-never-read", "--max-file-size", good])
            #expect(status == 64 && err.contains("no such file") && !err.contains("--max-file-size:"), "\(good): \(err)")
        }
    }
}
