import Foundation

/// A streaming read replica (a hot standby: `pg_basebackup -R`) answers searches and status like its primary,
/// a little behind it, and refuses every write. Engram sends reads to it when given a read URL
/// (`--read-store`, `ENGRAM_READ_STORE`) and writes always to the primary (`--store`); a writer pointed at a
/// standby by mistake is stopped with one line at connect, before it takes the writer lock.
extension PostgresStore {
    /// Whether this server is a hot standby (in recovery, replaying its primary's WAL).
    public func isStandby() async throws -> Bool {
        try await rows("SELECT pg_is_in_recovery()") { try $0.decode(Bool.self) }.first ?? false
    }

    /// Fails, naming the server, when it is a standby.
    func refuseStandby() async throws {
        if try await isStandby() { throw ReplicaError.standby(location.display) }
    }
}

public enum ReplicaError: Error, CustomStringConvertible, Equatable {
    /// A write was sent to a read-only standby.
    case standby(String)

    public var description: String {
        switch self {
        case .standby(let u):
            return "\(u) is a read-only standby: writes go to the primary (--store); a standby serves searches as --read-store"
        }
    }
}
