import Foundation
import Testing

/// A second account that may read the index file and its folder, and nothing more, searches it.
@Suite(.serialized) struct ReadOnlyAccountTests {
    @Test(.enabled(if: Nobody.available, "needs root and setpriv to act as the account nobody"))
    func anAccountThatCanOnlyReadTheIndexSearchesItAndLeavesNothingBehind() throws {
        let box = try Nobody.Sandbox()
        let fm = FileManager.default
        let docs = try EngineSupport.copyOfFixtures()
        let folder = box.root.appendingPathComponent("index")
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        let index = folder.appendingPathComponent("shared.sqlite").path
        #expect(try EngineSupport.run(["index", docs.path, "--index", index, "--quiet"]).0 == 0)
        try fm.setAttributes([.posixPermissions: 0o644], ofItemAtPath: index)
        // The owner's files: the index, its writer lock and its search segment.
        #expect(try fm.contentsOfDirectory(atPath: folder.path).sorted() == ["shared.sqlite", "shared.sqlite.lock", "shared.sqlite.segment"])

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
        #expect(try fm.contentsOfDirectory(atPath: folder.path).sorted() == ["shared.sqlite", "shared.sqlite.lock", "shared.sqlite.segment"])
        try EngineSupport.write("# Tides again\n\nA new note about the tides.\n", to: docs.appendingPathComponent("notes/more-tides.md"))
        let (s3, out3, err3) = try EngineSupport.run(["index", docs.path, "--index", index])
        #expect(s3 == 0 && out3.contains("added 1"), "\(err3)")
    }
}
