import EngramEmbedding
import EngramEngine
import EngramMemory
import EngramStore
import Foundation

/// How commands open the index and the user's memory.
enum Stores {
    /// An existing index, read-only: searching never writes it and never waits for a writer.
    static func reader(_ index: String?) throws -> IndexStore {
        try IndexStore(path: IndexLocation.resolve(index), access: .read)
    }

    /// The index's one writer. A second writer waits, saying for whom, or fails at once with `noWait`.
    static func writer(_ index: String?, create: Bool, noWait: Bool = false) throws -> IndexStore {
        let path = IndexLocation.resolve(index)
        return try IndexStore(path: path, access: .write(create: create, wait: waitPolicy(path, noWait: noWait)))
    }

    static func waitPolicy(_ path: String, noWait: Bool) -> WriterLock.Wait {
        noWait ? .fail : .wait(notice: { pid in
            Terminal.warn("waiting for another engram index on \(path)\(pid > 0 ? " (pid \(pid))" : "")")
        })
    }

    /// `$ENGRAM_HOME/memory.sqlite`.
    static var memoryPath: String { MemoryStore.defaultPath(home: ModelStore.home()) }

    /// Memory that a writer's migration took out of an index goes to the user's own file.
    static func adoptMigratedMemory(_ store: IndexStore) {
        guard !store.migratedMemory.isEmpty else { return }
        do {
            let session = try MemorySession(index: store, memoryPath: memoryPath, profile: "default", config: MemoryConfig())
            try session.adopt(store.migratedMemory, notice: Terminal.warn)
        } catch {
            Terminal.warn("could not move the memory recorded inside \(store.path) to \(memoryPath): \(error)")
        }
    }
}
