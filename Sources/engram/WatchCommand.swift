import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramService
import Foundation

struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Index folders, then keep the index up to date as their files change.",
        discussion: """
            Indexes each PATH as `engram index` does, then waits for changes (inotify; polling where inotify is \
            unavailable, or with --poll) and, once the folders have been quiet for --debounce seconds, indexes \
            again: only what changed is embedded. Prints one summary line per run that changed something. The \
            writer lock is held during each run only, so `engram index` and `engram remove` can run in between; \
            searches and `engram serve` go on throughout. Stop it with Ctrl-C or SIGTERM: a run stopped half-way \
            leaves an index that serves what was committed, and the next run completes it.

            \(IndexLocation.rule)

            Examples:
              engram watch ~/notes
              engram watch ~/notes ~/papers --debounce 5 --json
              engram watch /mnt/share/docs --poll 30        # network folders, where inotify sees no remote change
            """
    )

    @Argument(help: "Folders or files to index and watch.")
    var paths: [String]

    @Option(help: "Index file.")
    var index: String?

    // One second of quiet: an editor's save (write, rename, chmod) lands within milliseconds, and a changed
    // file is then searchable about a second after its write.
    @Option(help: "Seconds of quiet after a change before indexing again.")
    var debounce = 1.0

    @Option(help: "Poll every this many seconds instead of using inotify.")
    var poll: Double?

    @Flag(help: "Include hidden files and folders.")
    var hidden = false

    @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
    var model: String?

    @Flag(help: "Print each run's summary as one JSON line.")
    var json = false

    func validate() throws {
        try Validate.path(index, flag: "--index")
        try Validate.finite(debounce, "--debounce", in: 0...3600)
        try Validate.finite(poll, "--poll", in: 0.1...86400)
        for p in paths where !FileManager.default.fileExists(atPath: p) { throw Usage.error("no such file or folder: \(p)") }
    }

    func run() async throws {
        let indexPath = IndexLocation.resolve(index)
        let engine = try EngineService(indexPath: indexPath, modelFolder: ModelStore.resolve(model), warn: Terminal.warn)
        let watcher = FolderWatcher(roots: paths, debounce: debounce, pollInterval: poll ?? 2, forcePolling: poll != nil,
                                    includeHidden: hidden, ignoring: [indexPath], warn: Terminal.warn)
        Terminal.warn("watching \(paths.count) path\(paths.count == 1 ? "" : "s") (\(watcher.mode == .inotify ? "inotify" : "polling"))")
        var first = true
        while true {
            if !first { watcher.wait() }
            let result = try await engine.index(paths: paths, includeHidden: hidden, reopenReader: false)
            for w in result.warnings { Terminal.warn("\(w.kind.rawValue) \(w.path): \(w.reason)") }
            let s = result.summary
            if first || s.added + s.updated + s.moved + s.removed + s.errors > 0 {
                if json {
                    try printJSONLine(IndexReport(index: indexPath, summary: s))
                } else {
                    print(String(format: "%@ added %d, updated %d, unchanged %d, moved %d, removed %d, errors %d, chunks embedded %d, %.1f s",
                                 Date().formatted(.iso8601), s.added, s.updated, s.unchanged, s.moved, s.removed, s.errors,
                                 s.chunksEmbedded, s.seconds))
                }
                fflush(nil)
            }
            first = false
        }
    }
}
