/// The log held in memory: what has been persisted (by the WAL in the server, by a simulated
/// disk in tests), kept here so the Raft core can read it back quickly.
///
/// Layout: `entries[0]` is the entry at `compactedIndex + 1`; the latest snapshot describes
/// everything up to its own index, which may lie on either side of `compactedIndex`.
/// Not thread-safe: it belongs to the one thread that drives the `RawNode`.
public final class MemoryStorage: RaftStorage {
    private var hardState = HardState.empty
    private var latestSnapshot: Snapshot
    /// Index and term of the last compacted entry; below the snapshot's index when entries are
    /// kept behind the snapshot for slow followers, above it when memory was freed before the
    /// next snapshot.
    private var compactedIndex: UInt64
    private var compactedTerm: UInt64
    private var entries: [Entry] = []

    /// An empty log with no members: a member joining an existing cluster starts this way and
    /// learns the membership from the leader. A founding member of a new cluster then applies
    /// `Snapshot.bootstrap(_:)`.
    public init() {
        latestSnapshot = Snapshot()
        compactedIndex = 0
        compactedTerm = 0
    }

    public func initialState() -> (hardState: HardState, confState: ConfState) {
        (hardState, latestSnapshot.metadata.confState)
    }

    public var firstIndex: UInt64 { compactedIndex + 1 }

    public var lastIndex: UInt64 { compactedIndex + UInt64(entries.count) }

    public func term(at index: UInt64) throws(StorageError) -> UInt64 {
        if index < compactedIndex { throw .compacted }
        if index == compactedIndex { return compactedTerm }
        if index > lastIndex { throw .unavailable }
        return entries[Int(index - compactedIndex - 1)].term
    }

    public func entries(from lo: UInt64, to hi: UInt64, maxBytes: UInt64) throws(StorageError) -> [Entry] {
        precondition(lo <= hi, "inverted range \(lo)..<\(hi)")
        if lo <= compactedIndex { throw .compacted }
        if hi > lastIndex + 1 { throw .unavailable }
        let start = Int(lo - compactedIndex - 1)
        let end = Int(hi - compactedIndex - 1)
        return Array(entries[start..<end]).prefix(maxBytes: maxBytes)
    }

    /// Set when a follower needed a snapshot that does not exist yet (entries were compacted
    /// beyond the latest one): the application should make one; `createSnapshot` clears it.
    public private(set) var needsSnapshot = false

    public func snapshot() throws(StorageError) -> Snapshot {
        // A snapshot older than the compaction point would leave the follower short of entries
        // that no longer exist, so ask for a newer one instead.
        if latestSnapshot.metadata.index < compactedIndex {
            needsSnapshot = true
            throw .snapshotTemporarilyUnavailable
        }
        return latestSnapshot
    }

    /// Records the hard state the application has just persisted.
    public func setHardState(_ state: HardState) {
        hardState = state
    }

    /// Records entries the application has just persisted. An entry whose index is already
    /// held replaces it and everything after it (a new leader overwrote an uncommitted tail);
    /// entries at or below the compaction point are already covered and are skipped.
    public func append(_ newEntries: [Entry]) {
        guard let first = newEntries.first else { return }
        precondition(first.index <= lastIndex + 1, "gap: appending \(first.index) after \(lastIndex)")
        let fresh = newEntries.drop { $0.index <= compactedIndex }
        guard let firstFresh = fresh.first else { return }
        let replaced = Int(firstFresh.index - compactedIndex - 1)
        if replaced < entries.count { entries.removeSubrange(replaced...) }
        entries.append(contentsOf: fresh)
    }

    /// Replaces the whole log with a snapshot received from the leader (or loaded at start-up).
    public func applySnapshot(_ snapshot: Snapshot) throws(StorageError) {
        if snapshot.metadata.index < latestSnapshot.metadata.index { throw .snapshotOutOfDate }
        latestSnapshot = snapshot
        compactedIndex = snapshot.metadata.index
        compactedTerm = snapshot.metadata.term
        entries = []
        needsSnapshot = false
    }

    /// Makes a snapshot of the application state as of `index` (which must be applied, hence
    /// held here) without discarding any entry; call `compact(through:)` afterwards.
    @discardableResult
    public func createSnapshot(at index: UInt64, confState: ConfState, data: [UInt8]) throws(StorageError) -> Snapshot {
        if index <= latestSnapshot.metadata.index { throw .snapshotOutOfDate }
        precondition(index <= lastIndex, "snapshot index \(index) beyond last index \(lastIndex)")
        let metadata = SnapshotMetadata(index: index, term: try term(at: index), confState: confState)
        latestSnapshot = Snapshot(metadata: metadata, data: data)
        if index >= compactedIndex { needsSnapshot = false }
        return latestSnapshot
    }

    /// Discards entries up to and including `index`, which must be applied (the caller knows).
    /// Entries beyond the latest snapshot may go too: the log is durable elsewhere (the WAL),
    /// and a follower that needs them gets a snapshot once the application has made one (see
    /// `needsSnapshot`).
    public func compact(through index: UInt64) throws(StorageError) {
        if index <= compactedIndex { throw .compacted }
        compactedTerm = try term(at: index)
        entries.removeFirst(Int(index - compactedIndex))
        compactedIndex = index
    }
}
