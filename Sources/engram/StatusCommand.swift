import ArgumentParser
import EngramEngine
import EngramService
import EngramSearchIndex
import EngramStore
import Foundation

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what an index holds.",
        discussion: IndexLocation.rule
    )

    @Option(help: "Index file.")
    var index: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws { try Validate.path(index, flag: "--index") }

    func run() async throws {
        let path = IndexLocation.resolve(index)
        let store = try IndexStore(path: path, access: .read)
        let s = try store.stats()
        var out = StatusOutput(s, index: path)
        if let segment = try? Segment(path: store.segmentPath),
           let dimension = s.dimension, (try? SegmentBuilder.matches(segment, store: store, dimension: dimension)) == true {
            let pending = try store.read { try store.chunkRows(after: segment.coveredChunkID).count + store.changedChunks().count }
            out.segment = SegmentStatus(chunks: segment.rows, bytes: segment.byteCount, graph: segment.hasGraph, pending: pending)
        }
        if json {
            try printJSON(out)
        } else {
            print("index:        \(path)")
            print("documents:    \(s.documents)")
            print("chunks:       \(s.chunks)")
            print("model:        \(s.model ?? "none yet")\(s.dimension.map { " (\($0)-d)" } ?? "")")
            print("precision:    \(s.precision ?? "none yet")")
            print(String(format: "size:         %.1f MB", Double(s.bytes) / 1e6))
            if let g = out.segment {
                print(String(format: "segment:      %d chunks, %.1f MB%@", g.chunks, Double(g.bytes) / 1e6,
                             g.pending > 0 ? ", \(g.pending) chunks changed since (read from the index until the next fold)" : ""))
            } else if s.chunks > 0 {
                print("segment:      none (each search reads every chunk from the index; `engram index` builds it)")
            }
            print("last indexed: \(out.last_indexed ?? "never")")
            print("folders:      \(s.roots.isEmpty ? "none recorded" : s.roots.map(Terminal.safe).joined(separator: "\n              "))")
        }
    }
}

struct RemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove",
        abstract: "Drop a folder's (or a file's) documents from an index.",
        discussion: "The files themselves are not touched. \(IndexLocation.rule)"
    )

    @Argument(help: "The folder or file whose documents leave the index.")
    var path: String

    @Option(help: "Index file.")
    var index: String?

    @Flag(help: "Fail at once if another engram is writing the index, instead of waiting for it.")
    var noWait = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        try Validate.path(index, flag: "--index")
        guard !path.isEmpty else { throw Usage.error("the path to remove is empty") }
    }

    func run() async throws {
        let store = try Stores.writer(index, create: false, noWait: noWait)
        var target = URL(fileURLWithPath: path).standardizedFileURL.path
        if FileManager.default.fileExists(atPath: target) { target = URL(fileURLWithPath: target).resolvingSymlinksInPath().path }
        let removed = try store.write {
            try store.removeRoots(under: target)
            return try store.deleteDocuments(under: target)
        }
        store.refreshSearchSegment(warn: Terminal.warn)
        if json {
            try printJSON(["removed": removed])
        } else {
            print("removed \(removed) document\(removed == 1 ? "" : "s") under \(target)")
        }
    }
}
