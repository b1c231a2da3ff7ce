import EngramSearchIndex
import EngramStore

extension IndexStore {
    /// Folds the chunks added, changed or deleted since the search segment was built into a new one,
    /// when there are enough of them (`SegmentBuilder.refresh`). Every writer calls it before it closes;
    /// skipping it costs speed, never correctness: search reads what the segment lacks from SQLite.
    @discardableResult
    public func refreshSearchSegment(force: Bool = false) throws -> SegmentBuilder.Result? {
        guard let dimension = try meta("dimension").flatMap(Int.init) else { return nil }
        return try SegmentBuilder.refresh(store: self, dimension: dimension, force: force)
    }

    /// `refreshSearchSegment`, for a writer whose own work is already committed: a failure (a full disk)
    /// becomes one line for `warn`, since search stays right without a new segment.
    public func refreshSearchSegment(warn: (String) -> Void) {
        do { try refreshSearchSegment() } catch {
            warn("the search segment was not rebuilt (\(error)); searches read the changes from \(path) until the next `engram index`")
        }
    }
}
