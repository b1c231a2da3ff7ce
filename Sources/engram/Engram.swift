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
            Then:       engram index ~/notes
                        engram search "how do tides work"
                        engram search "spring tides" --explain
                        engram report -o report.html

            The index is --index PATH, else $ENGRAM_INDEX, else ./Indexes/default.sqlite when ./Indexes exists, \
            else $ENGRAM_HOME/Indexes/default.sqlite. The model is --model DIR, else $ENGRAM_MODEL, else \
            $ENGRAM_HOME/models/all-MiniLM-L6-v2 (ENGRAM_HOME defaults to ~/.local/share/engram).

            Shell completion: engram --generate-completion-script bash|zsh|fish. A man page: \
            swift package plugin generate-manual (docs/cli.md).
            """,
        version: EngramVersion.current,
        subcommands: [IndexCommand.self, SearchCommand.self, OpenCommand.self, MemoryCommand.self, ReportCommand.self, StatusCommand.self, ServeCommand.self, MCPCommand.self, WatchCommand.self, RemoveCommand.self, CheckCommand.self, ModelCommand.self, EmbedCommand.self, EvalCommand.self, BenchCommand.self]
    )
}
