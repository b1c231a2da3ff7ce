import Foundation
import Testing

/// `engram watch`: an initial run, then one run per burst of changes, with inotify and with polling.
@Suite(.serialized) struct WatchTests {
    /// Waits (bounded) until the watcher has printed `count` JSON lines; returns them.
    func lines(_ watcher: ServerProcess, count: Int, timeout: Double = 120) -> [[String: Any]] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let parsed = watcher.stdout.split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            if parsed.count >= count || !watcher.process.isRunning || Date() >= deadline { return parsed }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func reindexesOnChange(_ extra: [String], mode: String) throws {
        let folder = try EngineSupport.copyOfFixtures()
        // The index inside the watched folder: its own writes must not trigger runs.
        let index = folder.appendingPathComponent("watch.sqlite").path
        let watcher = try ServerProcess(["watch", folder.path, "--index", index, "--debounce", "0.5", "--json"] + extra)
        defer { watcher.process.terminate() }
        let first = lines(watcher, count: 1)
        #expect(first.first?["added"] as? Int == 9, "\(watcher.stderr)")
        #expect(watcher.stderr.contains("(\(mode))"), "\(watcher.stderr)")

        // A burst of changes: one new file, one edit, one deletion.
        try EngineSupport.write("# Quokka census\n\nCounting quokkas on Rottnest Island.\n", to: folder.appendingPathComponent("notes/quokka.md"))
        try EngineSupport.write("# Sleep\n\nRewritten: naps and circadian rhythm.\n", to: folder.appendingPathComponent("notes/sleep.md"))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("notes/sourdough.md"))
        let second = lines(watcher, count: 2)
        let run = second.count > 1 ? second[1] : [:]
        #expect(run["added"] as? Int == 1 && run["updated"] as? Int == 1 && run["removed"] as? Int == 1, "\(second) \(watcher.stderr)")

        // A new folder, then a file in it.
        try EngineSupport.write("# Okapi\n\nThe okapi is a forest giraffe.\n", to: folder.appendingPathComponent("animals/okapi.md"))
        let third = lines(watcher, count: 3)
        #expect((third.count > 2 ? third[2] : [:])["added"] as? Int == 1, "\(third) \(watcher.stderr)")
        let found = try EngineSupport.run(["search", "forest giraffe", "-n", "1", "--index", index, "--json", "--no-memory"])
        #expect(found.1.contains("animals/okapi.md"))

        // A rename: recognised by content, found under its new name, not embedded again.
        try FileManager.default.moveItem(at: folder.appendingPathComponent("notes/quokka.md"),
                                         to: folder.appendingPathComponent("animals/quokka-census.md"))
        let fourth = lines(watcher, count: 4)
        let renamed = fourth.count > 3 ? fourth[3] : [:]
        #expect(renamed["moved"] as? Int == 1 && renamed["chunks_embedded"] as? Int == 0, "\(fourth) \(watcher.stderr)")
        let moved = try EngineSupport.run(["search", "quokka census", "-n", "1", "-l", "--index", index, "--no-memory"])
        #expect(moved.1.contains("animals/quokka-census.md"), "\(moved.1)")
        // Between runs the writer lock is free.
        #expect(try EngineSupport.run(["remove", folder.appendingPathComponent("animals").path, "--index", index, "--no-wait"]).0 == 0)
        // The index's own writes caused no run: still four lines.
        Thread.sleep(forTimeInterval: 1.5)
        #expect(lines(watcher, count: 5, timeout: 0).count == 4, "\(watcher.stdout)")
    }

    @Test func inotify() throws { try reindexesOnChange([], mode: "inotify") }

    @Test func polling() throws { try reindexesOnChange(["--poll", "0.2"], mode: "polling") }
}
