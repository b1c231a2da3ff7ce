import EngramEngine
import EngramPostgres
import Foundation
import Testing

extension TestServer {
    /// A streaming replica of the test server: $ENGRAM_TEST_PG_REPLICA_URL (scripts/pg-test.sh starts one),
    /// else the one `scripts/postgres.sh replica` starts beside the server that script runs.
    static let replicaURL: Result<String, ServerUnavailable> = {
        let environment = ProcessInfo.processInfo.environment
        if let u = environment["ENGRAM_TEST_PG_REPLICA_URL"], !u.isEmpty { return .success(u) }
        if let u = environment["ENGRAM_TEST_PG_URL"], !u.isEmpty {
            return .failure(ServerUnavailable(reason: "ENGRAM_TEST_PG_URL names a server, ENGRAM_TEST_PG_REPLICA_URL no replica of it"))
        }
        guard available else { return .failure(ServerUnavailable(reason: "no primary")) }
        return postgresScript("replica")
    }()

    static var replicaAvailable: Bool {
        if case .success = replicaURL { return true }
        return false
    }

    static var replicaSkipReason: Comment {
        if case .failure(let e) = replicaURL { return Comment(rawValue: "no read replica: \(e.reason)") }
        return ""
    }

    /// The replica's URL for the database `primary` names (a database created on the primary reaches the replica with its WAL).
    static func replica(of primary: String) throws -> String {
        let r = try PostgresLocation(url: try replicaURL.get()), p = try PostgresLocation(url: primary)
        return "postgresql://\(r.user)@\(r.host):\(r.port)/\(p.database)"
    }
}

/// Reads from a streaming replica (`--read-store`) while writes go to the primary (`--store`): the replica,
/// a little behind, finds what the primary indexed; a writer sent to the replica is stopped in one line.
@Suite(.serialized, .enabled(if: TestServer.available, TestServer.skipReason),
       .enabled(if: TestServer.replicaAvailable, TestServer.replicaSkipReason))
struct ReplicaTests {
    @Test func readStoreFollowsThePrimary() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: EngramPGCommand.binary), "engram-pg is built by swift build --build-tests")
        let url = try await TestServer.freshDatabase()
        let read = try TestServer.replica(of: url)
        let (primaryName, replicaName) = (try PostgresLocation(url: url).display, try PostgresLocation(url: read).display)
        let folder = try Fixtures.corpusFolder()
        let tides = folder.appendingPathComponent("tides.md").path
        let env = ServingTests.environment

        let (s1, o1, e1) = try EngramPGCommand.run(["index", folder.path, "--store", url], environment: env)
        #expect(s1 == 0 && o1.hasPrefix("added \(Fixtures.corpus.count),"), "\(e1)")

        // The replica replays the primary's commits at its own pace: wait for them, within a bound.
        let reader = try await PostgresSearchStore(url: url, encoder: try Fixtures.encoder.get())
        reader.readURL = read
        let caughtUp = await eventually(timeout: 120, interval: 0.5) {
            do {
                let hits = try await reader.search("why does the sea rise and fall with the moon", options: SearchOptions()).hits
                return hits.first?.path == tides
            } catch {
                await reader.close()  // the database may not have reached the replica yet: connect again next time
                return false
            }
        }
        #expect(caughtUp, "the replica did not show the primary's index")
        let status = try await reader.status()
        #expect(status.store == replicaName && status.documents == Fixtures.corpus.count)
        await reader.close()

        // The command line: search and status with --read-store read the replica (status names it).
        let (s2, o2, e2) = try EngramPGCommand.run(["search", "sea level moon", "-l", "-n", "1", "--store", url, "--read-store", read], environment: env)
        #expect(s2 == 0 && o2 == tides + "\n", "\(e2)")
        let (s3, o3, _) = try EngramPGCommand.run(["status", "--json", "--store", url], environment: env.merging(["ENGRAM_READ_STORE": read]) { _, b in b })
        let json = try JSONSerialization.jsonObject(with: Data(o3.utf8)) as? [String: Any]
        #expect(s3 == 0 && json?["store"] as? String == replicaName, "\(o3)")

        // A writer sent to the replica is stopped at once, in one line.
        let (s4, o4, e4) = try EngramPGCommand.run(["index", folder.path, "--store", read], environment: env)
        #expect(s4 == 1 && o4.isEmpty)
        #expect(e4 == "engram-pg: \(replicaName) is a read-only standby: writes go to the primary (--store); a standby serves searches as --read-store\n")

        // serve with a read URL: status and searches from the replica, POST /index to the primary; the replica follows.
        let server = try ServerProcess(["serve", "--store", url, "--read-store", read, "--port", "0"], environment: env)
        let base = try server.base()
        let served = try HTTP.request(base + "/status")
        #expect(served.status == 200 && served.json?["index"] as? String == replicaName, "\(served.body)")
        let extra = Fixtures.temporaryFolder().appendingPathComponent("extra")
        let quokka = extra.appendingPathComponent("quokka.md")
        try Fixtures.write("# Zanzibar quokka\n\nA note about the zanzibar quokka festival.\n", to: quokka)
        let indexed = try HTTP.request(base + "/index", method: "POST", body: "{\"paths\": [\"\(extra.path)\"]}")
        #expect(indexed.status == 200 && indexed.json?["added"] as? Int == 1, "\(indexed.body)")
        #expect(indexed.json?["index"] as? String == primaryName)
        let followed = try await eventually(timeout: 120, interval: 0.5) {
            let r = try HTTP.request(base + "/search?q=zanzibar%20quokka&mode=lexical&memory=false")
            return (r.json?["results"] as? [[String: Any]])?.first?["path"] as? String == quokka.path
        }
        #expect(followed, "the replica did not show what POST /index wrote to the primary: \(server.stderr)")
        server.stop()

        await TestServer.dropDatabase(url)
        try? FileManager.default.removeItem(at: folder.deletingLastPathComponent())
        try? FileManager.default.removeItem(at: extra.deletingLastPathComponent())
    }
}
