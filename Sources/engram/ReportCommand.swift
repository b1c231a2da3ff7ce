import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramMemory
import EngramReports
import EngramStore
import Foundation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Export how your recent searches reshaped the ranking: HTML (with charts), Markdown, JSON or CSV.",
        discussion: """
            For each query: the ranking with memory beside the ranking without it (rank changes, entries new to the \
            top n), each result's score parts (semantic, lexical, memory) and the memory entries in effect; then a \
            summary. With no QUERY (and no --queries), the report covers the profile's searches still in memory, each \
            replayed at its own time. Running a report records nothing.
            Examples:
              engram report -o report.html
              engram report "tides" "sourdough" --format md
              engram report --queries questions.txt --format csv -o ranks.csv
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case html, md, json, csv }

    @Argument(help: "Queries to report on.")
    var query: [String] = []

    @Option(help: "A file with one query per line.")
    var queries: String?

    @Option(help: "Memory profile.")
    var profile = "default"

    @Option(help: "Index file.")
    var index: String?

    @Option(help: "html, md, json or csv (default: from the -o file's extension, else html).")
    var format: Format?

    @Option(name: .shortAndLong, help: "Write the report here (default: standard output).")
    var output: String?

    @Option(name: .shortAndLong, help: "Results per query.")
    var n = 10

    @Option(help: "Report as if at this time (ISO 8601).")
    var at: String?

    @Option(help: "Model folder (default: $ENGRAM_MODEL, else the installed default model).")
    var model: String?

    func validate() throws {
        try Validate.path(index, flag: "--index")
        try Validate.path(output, flag: "--output")
        guard (1...1000).contains(n) else { throw Usage.error("-n must be between 1 and 1000 (got \(n))") }
        if let at, DateParsing.parse(at) == nil { throw Usage.error("--at: cannot read time \"\(at)\" (use ISO 8601)") }
    }

    func run() async throws {
        var texts = query
        if let queries {
            guard let data = FileManager.default.contents(atPath: queries) else { throw CommandError("cannot read the --queries file \(queries)") }
            texts += String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
                .filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
        let store = try Stores.reader(index)
        let searcher = try Searcher(store: store, encoder: try PrecisionOption.queryEncoder(model: model))
        searcher.warn = Terminal.warn
        let now = at.flatMap(DateParsing.parse)?.timeIntervalSince1970 ?? Date().timeIntervalSince1970
        let session = try MemorySession(index: store, memoryPath: Stores.memoryPath, profile: profile,
                                        config: try MemoryConfig.load(home: ModelStore.home()), notice: Terminal.warn)
        let report = try ReportBuilder(session: session, searcher: searcher).build(queries: texts, n: n, now: now)
        let chosen = format ?? output.flatMap { Format(rawValue: ($0 as NSString).pathExtension.lowercased() == "markdown" ? "md" : ($0 as NSString).pathExtension.lowercased()) } ?? .html
        let text: String
        switch chosen {
        case .html: text = HTMLReport.render(report)
        case .md: text = MarkdownReport.render(report)
        case .json: text = try JSONReport.render(report)
        case .csv: text = CSVReport.render(report)
        }
        if let output {
            try writeAtomically(text, to: output)
            FileHandle.standardError.write(Data("engram: wrote \(chosen.rawValue) report (\(report.queries.count) queries) to \(output)\n".utf8))
        } else {
            print(text, terminator: "")
        }
    }
}
