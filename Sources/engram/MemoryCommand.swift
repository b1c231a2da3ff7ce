import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramMemory
import EngramStore
import Foundation

struct OpenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Record that a result of the last search was opened, and print where it is.",
        discussion: """
            Prints PATH:LINE, the line of the result's best match. An opened result weighs more in memory than a \
            query: it says what you were after (a search made with --no-memory or --incognito can be opened too, \
            and nothing is recorded). --editor-args prints "+LINE PATH" for editors that take a line that way, \
            --path-only just the path.

            Examples:
              engram open 2
              $EDITOR $(engram open 2 --editor-args)      # vim, nano, emacs: open at the line
              code -g "$(engram open 1)"                   # VS Code takes PATH:LINE
            """
    )

    @Argument(help: "The result's rank in the last search, or its path.")
    var target: String

    @Option(help: "Index file.")
    var index: String?

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
        try Validate.path(index, flag: "--index")
        if editorArgs && pathOnly { throw Usage.error("choose one of --editor-args and --path-only") }
        guard !target.trimmingCharacters(in: .whitespaces).isEmpty else { throw Usage.error("give a rank (such as 2) or a path") }
        if let at, DateParsing.parse(at) == nil { throw Usage.error("--at: cannot read time \"\(at)\" (use ISO 8601)") }
    }

    func run() async throws {
        let now = at.flatMap(DateParsing.parse)?.timeIntervalSince1970 ?? Date().timeIntervalSince1970
        let session = try MemorySession(index: try Stores.reader(index), memoryPath: Stores.memoryPath, profile: profile,
                                        config: try MemoryConfig.load(home: ModelStore.home()), notice: Terminal.warn)
        let opened = try session.open(target, now: now)
        if json { try printJSON(opened) } else { print(opened.text(editorArgs: editorArgs, pathOnly: pathOnly)) }
    }
}

struct MemoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Show, clear or export a profile's short-term memory.",
        subcommands: [Show.self, Clear.self, Export.self]
    )

    struct Common: ParsableArguments {
        @Option(help: "Index file.")
        var index: String?

        @Option(help: "Memory profile.")
        var profile = "default"

        @Flag(help: "Print JSON.")
        var json = false

        func validate() throws { try Validate.path(index, flag: "--index") }

        func session() throws -> MemorySession {
            try MemorySession(index: try Stores.reader(index), memoryPath: Stores.memoryPath, profile: profile,
                              config: try MemoryConfig.load(home: ModelStore.home()), notice: Terminal.warn)
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The entries with their current weights, and why each is or is not in effect.",
            discussion: """
                Without --query, each entry's weight after decay: faded entries say whether age or the searches made \
                since took them out. With --query, every entry is also judged by the topic guard against that query, \
                as a search would judge it, and says whether it is on topic and by how much.
                Example: engram memory show --query "checksum"
                """)
        @OptionGroup var common: Common

        @Option(help: "Judge every entry against this query (the topic guard, as a search would; records nothing).")
        var query: String?

        @Option(help: "Model folder (with --query; default: $ENGRAM_MODEL, else the installed default model).")
        var model: String?

        @Option(help: "Show the weights as at this time (ISO 8601).")
        var at: String?

        func validate() throws {
            if let at, DateParsing.parse(at) == nil { throw Usage.error("--at: cannot read time \"\(at)\" (use ISO 8601)") }
            if let query, query.trimmingCharacters(in: .whitespaces).isEmpty { throw Usage.error("--query: give a query to judge the entries against") }
        }

        func run() async throws {
            let session = try common.session()
            let config = session.config
            let (entries, searches, _) = try session.state()
            let now = at.flatMap(DateParsing.parse)?.timeIntervalSince1970 ?? Date().timeIntervalSince1970
            var judged: [WeightedEntry] = []
            if let query {
                let searcher = try Searcher(store: session.index ?? Stores.reader(common.index), encoder: try PrecisionOption.queryEncoder(model: model))
                let q = searcher.encoder.encode(query)
                let ranker = MemoryRanker(searcher: searcher, config: config)
                judged = MemoryModel.weigh(entries, query: q, statistics: config.needsStatistics ? try ranker.statistics(q) : nil,
                                           now: now, searches: searches, config: config)
            }
            let shown = ShownMemory(profile: common.profile, entries: entries, searches: searches, query: query, judged: judged, now: now, config: config)
            if common.json {
                try printJSON(shown)
            } else {
                for line in shown.lines { print(line) }
            }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget the profile's searches and opened results.")
        @OptionGroup var common: Common

        func run() async throws {
            let n = try common.session().clear()
            if common.json { try printJSON(["cleared": n]) } else { print("forgot \(n) entries of profile \(common.profile)") }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every entry with its vector, as JSON (one object).")
        @OptionGroup var common: Common

        func run() async throws {
            try printJSON(ExportedMemory(try common.session()))
        }
    }
}
