/// Why a storage read could not be answered.
public enum StorageError: Error, Hashable, Sendable {
    /// The requested index is at or below the compaction point: only a snapshot covers it now.
    case compacted
    /// The requested index is beyond the last stored entry.
    case unavailable
    /// No snapshot can be produced right now; the leader retries on a later append.
    case snapshotTemporarilyUnavailable
    /// A snapshot older than the one already held was offered.
    case snapshotOutOfDate
}

/// What the Raft core reads of the log that has been persisted. The core never writes here:
/// the application persists what a `Ready` hands it and then records it in its storage (for
/// example `MemoryStorage`) before calling `RawNode.advance(_:)`.
///
/// Indexes: entries `firstIndex...lastIndex` are readable; `term(at: firstIndex - 1)` is the
/// term of the last compacted entry (the snapshot's), so the log can still be matched there.
public protocol RaftStorage: AnyObject {
    /// The persisted hard state and the membership as of the latest snapshot.
    func initialState() -> (hardState: HardState, confState: ConfState)

    /// Entries in `lo..<hi`, stopping early once `maxBytes` would be exceeded (at least one
    /// entry is returned when any is requested).
    func entries(from lo: UInt64, to hi: UInt64, maxBytes: UInt64) throws(StorageError) -> [Entry]

    /// The term of the entry at `index`, for any index in `firstIndex - 1 ... lastIndex`.
    func term(at index: UInt64) throws(StorageError) -> UInt64

    /// The index of the first entry still held (one past the snapshot's index).
    var firstIndex: UInt64 { get }

    /// The index of the last entry held (the snapshot's index when no entry follows it).
    var lastIndex: UInt64 { get }

    /// The most recent snapshot, sent to followers that are behind `firstIndex`.
    func snapshot() throws(StorageError) -> Snapshot
}
