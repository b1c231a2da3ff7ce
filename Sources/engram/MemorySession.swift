import EngramEmbedding
import EngramEngine
import EngramMemory
import EngramStore
import Foundation

/// The search path of the CLI with memory: read the profile's entries, re-rank, then record the
/// query (unless incognito), evicting past capacity, all in one transaction.
struct MemorySession {
    let store: IndexStore
    let profile: String
    let config: MemoryConfig

    struct LastResult: Codable {
        let rank: Int
        let path: String
        let line: Int
        let chunk_id: Int64
    }

    func search(_ text: String, searcher: Searcher, options: SearchOptions, now: Double, record: Bool) throws -> MemoryResult {
        let vector = searcher.encoder.encode(text)
        let entries = try store.memoryEntries(profile: profile)
        let state = try store.memoryProfile(profile)
        let result = try MemorySearch(searcher: searcher, config: config)
            .search(text, vector: vector, entries: entries, now: now, searches: state.searches, options: options)
        if record {
            let last = result.response.hits.map { LastResult(rank: $0.rank, path: $0.path, line: $0.line, chunk_id: $0.chunkID) }
            let json = String(decoding: try JSONEncoder().encode(last), as: UTF8.self)
            try store.db.transaction {
                try store.insertMemory(IndexStore.MemoryRow(profile: profile, kind: "query", text: text, vector: vector, at: now,
                                                            sequence: state.searches))
                try store.setMemoryProfile(profile, searches: state.searches + 1, lastQuery: text, lastResults: json)
                let all = try store.memoryEntries(profile: profile)
                try store.deleteMemory(ids: MemoryModel.evictions(all, now: now, searches: state.searches + 1, config: config))
            }
        }
        return result
    }

    /// Records that a result of the last search was opened; returns it.
    func open(_ target: String, now: Double) throws -> LastResult {
        let state = try store.memoryProfile(profile)
        guard let json = state.lastResults,
              let results = try? JSONDecoder().decode([LastResult].self, from: Data(json.utf8)), !results.isEmpty else {
            throw MemoryError.noLastSearch(profile: profile)
        }
        let chosen: LastResult
        if let rank = Int(target) {
            guard let r = results.first(where: { $0.rank == rank }) else { throw MemoryError.noSuchResult(rank: rank, count: results.count) }
            chosen = r
        } else {
            let absolute = URL(fileURLWithPath: target).standardizedFileURL.path
            guard let r = results.first(where: { $0.path == absolute || $0.path == target || $0.path.hasSuffix("/" + target) }) else {
                throw MemoryError.notInLastSearch(path: target)
            }
            chosen = r
        }
        guard let chunk = try store.chunk(id: chosen.chunk_id), let vector = try store.vector(chunkID: chosen.chunk_id) else {
            throw StoreError.corrupt(path: store.path, message: "the opened result's passage is no longer in the index")
        }
        try store.insertMemory(IndexStore.MemoryRow(profile: profile, kind: "open", text: chunk.text, vector: vector, at: now,
                                                    sequence: max(0, state.searches - 1), path: chosen.path))
        return chosen
    }
}
