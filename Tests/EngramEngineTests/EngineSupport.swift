import EngramEmbedding
import EngramEngine
import EngramStore
import Foundation

/// Shared fixtures for the engine tests.
enum EngineSupport {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = root.deletingLastPathComponent().appendingPathComponent("shared")
    /// The medline collection in `../shared`; the tests that evaluate on it are skipped in a clone without it.
    static let medline = shared.appendingPathComponent("datasets/medline")
    static let hasMedline = FileManager.default.fileExists(atPath: medline.appendingPathComponent("corpus.jsonl").path)
    static let fixtures = root.appendingPathComponent("fixtures/docs")
    /// The release binary that `make test` builds before running the tests.
    static let engram = root.appendingPathComponent(".build/release/engram").path

    static let encoder: Result<SentenceEncoder, Error> = Result { try SentenceEncoder(folder: ModelStore.resolve(nil)) }

    static func temporaryFolder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("engram-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A copy of the demo corpus in a fresh folder.
    static func copyOfFixtures() throws -> URL {
        let folder = temporaryFolder().appendingPathComponent("docs")
        try FileManager.default.copyItem(at: fixtures, to: folder)
        return folder
    }

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Runs the engram binary (`binary`, through `launcher` such as setpriv when given, in `directory`);
    /// returns (exit status, stdout, stderr).
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:], launcher: [String] = [],
                    binary: String = engram, directory: URL? = nil) throws -> (Int32, String, String) {
        let command = launcher + [binary] + arguments
        let p = Process()
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        p.environment = env
        if let directory { p.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Invariants every index must keep (see `IndexStore.invariantProblems`).
    static func checkConsistency(_ store: IndexStore) throws -> [String] {
        try store.invariantProblems()
    }
}
