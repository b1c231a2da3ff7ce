import ArgumentParser
import EngramEmbedding
import EngramMemory
import EngramPostgres
import EngramReports
import EngramStore
import Foundation

/// Memory's flags on `search`, as `engram search` takes them. Memory stays in the user's own
/// `$ENGRAM_HOME/memory.sqlite`, keyed by the store's index id, never in the store.
struct MemoryOptions: ParsableArguments {
    @Option(help: "Memory profile.")
    var profile = "default"
    @Flag(help: "Neither read nor record memory.")
    var noMemory = false
    @Flag(help: "Use memory but record nothing.")
    var incognito = false
    @Option(help: "Half-life of memory entries (e.g. 1d, 2h, 30m; default 1d or the config file's half_life).")
    var halfLife: String?
    @Option(help: "Run as if at this time (ISO 8601), for replaying sessions.")
    var at: String?

    func check() throws {
        if let at, PGSearch.date(at) == nil { throw fail("--at: cannot read time \"\(at)\" (use ISO 8601, e.g. 2026-01-05T10:00:00Z)", code: 64) }
        if let halfLife, MemoryConfig.duration(halfLife) == nil {
            throw fail("--half-life: cannot read \"\(halfLife)\" (try 1d, 2h, 30m or seconds)", code: 64)
        }
    }

    var time: Date? { at.flatMap(PGSearch.date) }

    /// The user's memory file and settings, with --half-life over them.
    func file() throws -> MemoryFile {
        var file = try userMemory()
        if let halfLife, let d = MemoryConfig.duration(halfLife) { file.config.halfLife = d }
        return file
    }
}

/// `$ENGRAM_HOME/memory.sqlite` and its settings, a bad config file being one line and exit 1.
func userMemory() throws -> MemoryFile {
    do { return try MemoryFile.user() } catch { throw fail("\(error)") }
}

/// The store, with the user's memory file.
func openWithMemory(_ options: StoreOptions) async throws -> any SearchStore {
    let store = try await options.open()
    store.memoryFile = try userMemory()
    return store
}

struct PGOpen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open", abstract: "Record that a result of the last search was opened, and print where it is.",
        discussion: "Prints PATH:LINE (--editor-args: +LINE PATH). An opened result weighs more in memory than a query.")

    @Argument(help: "The result's rank in the last search, or its path.")
    var target: String
    @OptionGroup var options: StoreOptions
    @Option(help: "Memory profile.")
    var profile = "default"
    @Option(help: "Record as if at this time (ISO 8601).")
    var at: String?
    @Flag(help: "Print \"+LINE PATH\", as editors take it on their command line.")
    var editorArgs = false
    @Flag(help: "Print only the path.")
    var pathOnly = false
    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if editorArgs && pathOnly { throw fail("choose one of --editor-args and --path-only", code: 64) }
        guard !target.trimmingCharacters(in: .whitespaces).isEmpty else { throw fail("give a rank (such as 2) or a path", code: 64) }
        if let at, PGSearch.date(at) == nil { throw fail("--at: cannot read time \"\(at)\" (use ISO 8601)", code: 64) }
    }

    func run() async throws {
        let store = try await openWithMemory(options)
        try await closing(store) {
            let opened = try await reporting { try await store.open(target, profile: profile, at: at.flatMap(PGSearch.date)) }
            if json { try printJSON(opened) } else { print(opened.text(editorArgs: editorArgs, pathOnly: pathOnly)) }
        }
    }
}

struct PGMemory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory", abstract: "Show, clear or export a profile's short-term memory of the store.",
        subcommands: [Show.self, Clear.self, Export.self])

    struct Common: ParsableArguments {
        @OptionGroup var options: StoreOptions
        @Option(help: "Memory profile.")
        var profile = "default"
        @Flag(help: "Print JSON.")
        var json = false
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The entries with their current weights, and why each is or is not in effect.",
            discussion: "With --query, every entry is also judged by the topic guard against that query, as a search would judge it.")
        @OptionGroup var common: Common
        @Option(help: "Judge every entry against this query (the topic guard, as a search would; records nothing).")
        var query: String?
        @Option(help: "Show the weights as at this time (ISO 8601).")
        var at: String?

        func validate() throws {
            if let at, PGSearch.date(at) == nil { throw fail("--at: cannot read time \"\(at)\" (use ISO 8601)", code: 64) }
            if let query, query.trimmingCharacters(in: .whitespaces).isEmpty { throw fail("--query: give a query to judge the entries against", code: 64) }
        }

        func run() async throws {
            let store = try await openWithMemory(common.options)
            try await closing(store) {
                let shown = try await reporting { try await store.showMemory(profile: common.profile, query: query, at: at.flatMap(PGSearch.date)) }
                if common.json { try printJSON(shown) } else { for line in shown.lines { print(line) } }
            }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget the profile's searches and opened results on this store.")
        @OptionGroup var common: Common

        func run() async throws {
            let store = try await openWithMemory(common.options)
            try await closing(store) {
                let n = try await reporting { try await store.memorySession(profile: common.profile).clear() }
                if common.json { try printJSON(["cleared": n]) } else { print("forgot \(n) entries of profile \(common.profile)") }
            }
        }
    }
}

extension PGMemory {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every entry with its vector, as JSON (one object).")
        @OptionGroup var common: Common

        func run() async throws {
            let store = try await openWithMemory(common.options)
            try await closing(store) {
                try printJSON(try await reporting { try ExportedMemory(try await store.memorySession(profile: common.profile)) })
            }
        }
    }
}

struct PGReport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Export how your recent searches reshaped the ranking: HTML (with charts), Markdown, JSON or CSV.",
        discussion: """
            For each query: the ranking with memory beside the ranking without it. With no QUERY (and no --queries), \
            the profile's searches still in memory, each replayed at its own time. Running a report records nothing.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case html, md, json, csv }

    @Argument(help: "Queries to report on.")
    var query: [String] = []
    @Option(help: "A file with one query per line.")
    var queries: String?
    @OptionGroup var options: StoreOptions
    @Option(help: "Memory profile.")
    var profile = "default"
    @Option(help: "html, md, json or csv (default: from the -o file's extension, else html).")
    var format: Format?
    @Option(name: .shortAndLong, help: "Write the report here (default: standard output).")
    var output: String?
    @Option(name: .shortAndLong, help: "Results per query.")
    var n = 10
    @Option(help: "Report as if at this time (ISO 8601).")
    var at: String?

    func validate() throws {
        guard (1...1000).contains(n) else { throw fail("-n must be between 1 and 1000 (got \(n))", code: 64) }
        if let at, PGSearch.date(at) == nil { throw fail("--at: cannot read time \"\(at)\" (use ISO 8601)", code: 64) }
        if let output, output.trimmingCharacters(in: .whitespaces).isEmpty { throw fail("--output: the path is empty", code: 64) }
    }

    func run() async throws {
        var texts = query
        if let queries {
            guard let data = FileManager.default.contents(atPath: queries) else { throw fail("cannot read the --queries file \(queries)") }
            texts += String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        let store = try await openWithMemory(options)
        try await closing(store) {
            let report = try await reporting { try await store.report(queries: texts, profile: profile, n: n, at: at.flatMap(PGSearch.date)) }
            let ext = output.map { ($0 as NSString).pathExtension.lowercased() }
            let chosen = format ?? ext.flatMap { Format(rawValue: $0 == "markdown" ? "md" : $0) } ?? .html
            let text: String
            switch chosen {
            case .html: text = HTMLReport.render(report)
            case .md: text = MarkdownReport.render(report)
            case .json: text = try JSONReport.render(report)
            case .csv: text = CSVReport.render(report)
            }
            if let output {
                do { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                    throw fail("cannot write \(output): \((error as NSError).localizedDescription)")
                }
                warn("wrote \(chosen.rawValue) report (\(report.queries.count) queries) to \(output)")
            } else {
                print(text, terminator: "")
            }
        }
    }
}
