import EngramEmbedding
import EngramEngine
import EngramPostgres
import EngramText
import Foundation
import Testing

/// The two stores the contract holds for.
enum StoreKind: String, Sendable, CaseIterable {
    case sqlite, postgres
}

/// The PostgreSQL server the suite runs against: $ENGRAM_TEST_PG_URL, else the one `scripts/postgres.sh start`
/// starts (or finds running). Each test gets a database of its own.
enum TestServer {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The server's URL, or why there is none.
    static let url: Result<String, ServerUnavailable> = {
        if let u = ProcessInfo.processInfo.environment["ENGRAM_TEST_PG_URL"], !u.isEmpty { return .success(u) }
        return postgresScript("start")
    }()

    /// Runs `scripts/postgres.sh COMMAND`, which prints a URL last: that URL, or the last line it said why not.
    static func postgresScript(_ command: String) -> Result<String, ServerUnavailable> {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [root.appendingPathComponent("scripts/postgres.sh").path, command]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { return .failure(ServerUnavailable(reason: "cannot run scripts/postgres.sh: \(error)")) }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let line = String(decoding: o, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard p.terminationStatus == 0, PostgresLocation.isURL(line) else {
            let why = String(decoding: e, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "exit \(p.terminationStatus)"
            return .failure(ServerUnavailable(reason: why))
        }
        return .success(line)
    }

    struct ServerUnavailable: Error { let reason: String }

    static var available: Bool {
        if case .failure = url { return false }
        return true
    }

    static var skipReason: Comment {
        if case .failure(let e) = url { return Comment(rawValue: "the PostgreSQL server cannot start: \(e.reason)") }
        return ""
    }

    /// A new, empty database on the server (pgvector comes from template1); its URL.
    static func freshDatabase() async throws -> String {
        let base = try url.get()
        let location = try PostgresLocation(url: base)
        let name = "engram_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let admin = try await PostgresStore.connect("postgresql://\(location.user)@\(location.host):\(location.port)/postgres")
        try await admin.execute("CREATE DATABASE \(name)")
        await admin.close()
        return "postgresql://\(location.user)@\(location.host):\(location.port)/\(name)"
    }

    static func dropDatabase(_ url: String) async {
        guard let location = try? PostgresLocation(url: url),
              let admin = try? await PostgresStore.connect("postgresql://\(location.user)@\(location.host):\(location.port)/postgres")
        else { return }
        try? await admin.execute("DROP DATABASE IF EXISTS \(location.database) WITH (FORCE)")
        await admin.close()
    }
}

enum Fixtures {
    static let encoder: Result<SentenceEncoder, Error> = Result { try SentenceEncoder(folder: ModelStore.resolve(nil)) }

    static func temporaryFolder() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("engram-pg-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// A small corpus with one clear topic per file.
    static let corpus: [String: String] = [
        "tides.md": "# Tides\n\nTides are the rise and fall of sea levels caused by the gravitational pull of the moon and the sun on the oceans. Spring tides happen at full and new moon.\n",
        "bread.md": "# Baking bread\n\nKnead the dough for ten minutes, then let the yeast make it rise in a warm place before baking it in a hot oven.\n",
        "notes/budget.txt": "Quarterly budget review\n\nTravel spending rose this quarter; the office rent and salaries stayed the same. Cut conference travel next year.\n",
        "notes/garden.org": "* Garden\n\nPlant tomatoes after the last frost. Water the roses in the morning and prune them in late winter.\n",
        "code/sort.py": "def quicksort(items):\n    \"\"\"Sort a list by partitioning around a pivot.\"\"\"\n    if len(items) <= 1:\n        return items\n    pivot = items[0]\n    return quicksort([x for x in items[1:] if x < pivot]) + [pivot] + quicksort([x for x in items[1:] if x >= pivot])\n",
    ]

    /// A folder holding `corpus` (its real path, symlinks resolved, as the index records it).
    static func corpusFolder() throws -> URL {
        let folder = temporaryFolder().appendingPathComponent("docs")
        for (name, text) in corpus { try write(text, to: folder.appendingPathComponent(name)) }
        return URL(fileURLWithPath: folder.resolvingSymlinksInPath().path)
    }
}

/// One store of either kind, in a place of its own, removed by `dispose()`.
struct StoreUnderTest {
    let kind: StoreKind
    let location: String
    let encoder: SentenceEncoder

    static func make(_ kind: StoreKind) async throws -> StoreUnderTest {
        let encoder = try Fixtures.encoder.get()
        switch kind {
        case .sqlite:
            return StoreUnderTest(kind: kind, location: Fixtures.temporaryFolder().appendingPathComponent("index.sqlite").path, encoder: encoder)
        case .postgres:
            return StoreUnderTest(kind: kind, location: try await TestServer.freshDatabase(), encoder: encoder)
        }
    }

    /// A new connection (or file handle) to the store, as another process would open it.
    func open() async throws -> any SearchStore {
        try await SearchStores.open(location, encoder: encoder)
    }

    /// Runs `body` on a freshly opened store, closing it afterwards.
    func with<T>(_ body: (any SearchStore) async throws -> T) async throws -> T {
        let store = try await open()
        do {
            let value = try await body(store)
            await store.close()
            return value
        } catch {
            await store.close()
            throw error
        }
    }

    func index(_ folder: URL) async throws -> IndexSummary {
        try await with { try await $0.index(folder: folder.path, walker: Walker(), warn: { _ in }) }
    }

    func search(_ query: String, _ configure: (inout SearchOptions) -> Void = { _ in }) async throws -> [String] {
        var options = SearchOptions()
        configure(&options)
        return try await with { try await $0.search(query, options: options) }.hits.map(\.path)
    }

    func status() async throws -> StoreStatus {
        try await with { try await $0.status() }
    }

    func dispose() async {
        switch kind {
        case .sqlite: try? FileManager.default.removeItem(at: URL(fileURLWithPath: location).deletingLastPathComponent())
        case .postgres: await TestServer.dropDatabase(location)
        }
    }
}
