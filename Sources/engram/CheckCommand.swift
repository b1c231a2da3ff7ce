import ArgumentParser
import EngramEmbedding
import EngramEngine
import EngramStore
import Foundation

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check an index for damage, and repair what can be repaired.",
        discussion: """
            Runs SQLite's integrity check and the engine's own invariants: one vector of the right size with finite \
            values per chunk, postings and full-text rows only for chunks that exist, chunks only for documents that \
            exist. Prints one line per problem and exits 1 if there is any. --repair re-embeds chunks whose vectors \
            are missing or damaged (from their stored text), drops orphan rows and rebuilds the full-text table, then \
            checks again. Damaged database pages cannot be mended in place: move the file aside and index the folders \
            again. --compact reclaims the space of removed documents.

            \(IndexLocation.rule)

            Examples:
              engram check
              engram check --repair --index ~/search.sqlite
              engram check --compact --json
            """
    )

    @Option(help: "Index file.")
    var index: String?

    @Flag(help: "Repair what can be repaired (takes the writer lock).")
    var repair = false

    @Flag(help: "Reclaim the space of removed documents (takes the writer lock).")
    var compact = false

    @Option(help: "Model folder, for re-embedding (default: $ENGRAM_MODEL, else the installed default model).")
    var model: String?

    @Flag(help: "Fail at once if another engram is writing the index, instead of waiting for it.")
    var noWait = false

    @Flag(help: "Print one JSON object: {\"index\", \"problems\": [{\"kind\", \"detail\", \"repairable\"}], \"repaired\", \"ok\"}.")
    var json = false

    func validate() throws { try Validate.path(index, flag: "--index") }

    func run() async throws {
        let path = IndexLocation.resolve(index)
        let store = repair || compact ? try Stores.writer(index, create: false, noWait: noWait) : try Stores.reader(index)
        let dimension = try store.meta("dimension").flatMap(Int.init) ?? 0
        let check = IndexCheck(store: store, dimension: dimension)
        var problems = try check.problems()
        var repaired: IndexCheck.Repair?
        if repair && problems.contains(where: \.repairable) {
            repaired = try check.repair(encoder: try SentenceEncoder(folder: ModelStore.resolve(model)))
            problems = try check.problems()
        }
        if compact { try store.compact() }
        if repair || compact { store.refreshSearchSegment(warn: Terminal.warn) }
        if json {
            try printJSON(CheckOutput(index: path, problems: problems, repaired: repaired, ok: problems.isEmpty))
        } else {
            if let r = repaired {
                print("repaired: re-embedded \(r.reembedded) chunks, dropped \(r.orphansDeleted) orphan rows, rebuilt the full-text table")
            }
            for p in problems {
                let advice = p.repairable ? "engram check --repair" : (p.kind == "integrity" ? "move \(path) aside and run engram index on its folders again" : "re-index the affected folders")
                print("\(p.kind): \(p.detail) (fix: \(advice))")
            }
            if problems.isEmpty { print("ok: \(path)") }
        }
        if !problems.isEmpty { throw ExitCode.failure }
    }
}

struct CheckOutput: Encodable {
    let index: String
    let problems: [IndexCheck.Problem]
    let repaired: IndexCheck.Repair?
    let ok: Bool
}
