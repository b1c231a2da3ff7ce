import ArgumentParser

@main
struct Engram: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engram",
        abstract: "Local semantic search over your document folders.",
        discussion: """
            Engram embeds your documents with a native sentence encoder (all-MiniLM-L6-v2 by default), \
            stores them in one SQLite file, and ranks search results by meaning and by words.

            First run:  engram model install
            Then:       engram embed "a sentence" "another one"
            """,
        subcommands: [IndexCommand.self, SearchCommand.self, OpenCommand.self, MemoryCommand.self, ReportCommand.self, StatusCommand.self, RemoveCommand.self, ModelCommand.self, EmbedCommand.self, EvalCommand.self, BenchCommand.self]
    )
}
