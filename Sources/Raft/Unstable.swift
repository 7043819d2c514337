/// The tail of the log that the application has not persisted yet: new entries and, on a
/// follower catching up, a snapshot received from the leader. Everything here is handed out in
/// the next `Ready` and leaves once `advance` reports it persisted.
struct Unstable {
    /// A snapshot received from the leader and not yet persisted.
    private(set) var snapshot: Snapshot?
    /// Entries starting at index `offset`.
    private(set) var entries: [Entry] = []
    /// The index of `entries[0]`, or where the next entry would go when there is none.
    private(set) var offset: UInt64

    init(offset: UInt64) {
        self.offset = offset
    }

    /// The first log index when a snapshot is pending; storage knows otherwise.
    var firstIndex: UInt64? {
        snapshot.map { $0.metadata.index + 1 }
    }

    /// The last log index when anything is pending; storage knows otherwise.
    var lastIndex: UInt64? {
        if !entries.isEmpty { return offset + UInt64(entries.count) - 1 }
        return snapshot?.metadata.index
    }

    func term(at index: UInt64) -> UInt64? {
        if index < offset {
            guard let snapshot, snapshot.metadata.index == index else { return nil }
            return snapshot.metadata.term
        }
        guard let last = lastIndex, index <= last else { return nil }
        return entries[Int(index - offset)].term
    }

    /// Drops entries up to `index` now that they are persisted. A term mismatch means the entry
    /// was overwritten while it was being persisted; the new one is still unstable, so keep it.
    mutating func markPersisted(through index: UInt64, term: UInt64) {
        guard index >= offset, self.term(at: index) == term else { return }
        let persisted = Int(index + 1 - offset)
        // Usually every entry is persisted at once; keeping the room saves regrowing it.
        if persisted == entries.count { entries.removeAll(keepingCapacity: true) } else { entries.removeFirst(persisted) }
        offset = index + 1
    }

    mutating func markSnapshotPersisted(at index: UInt64) {
        if snapshot?.metadata.index == index { snapshot = nil }
    }

    /// Replaces the whole unstable log with a snapshot from the leader.
    mutating func restore(_ newSnapshot: Snapshot) {
        offset = newSnapshot.metadata.index + 1
        entries = []
        snapshot = newSnapshot
    }

    /// Appends entries that follow the log; an entry at an index already present replaces that
    /// entry and everything after it (the caller has checked none of that is committed).
    mutating func truncateAndAppend(_ newEntries: [Entry]) {
        guard let first = newEntries.first else { return }
        let after = first.index
        if after == offset + UInt64(entries.count) {
            entries.append(contentsOf: newEntries)
        } else if after <= offset {
            // The new entries also replace persisted ones; persisting them overwrites storage.
            offset = after
            entries = newEntries
        } else {
            entries.removeSubrange(Int(after - offset)...)
            entries.append(contentsOf: newEntries)
        }
    }

    /// Entries in `lo..<hi`, all of which must be unstable.
    func slice(_ lo: UInt64, _ hi: UInt64) -> ArraySlice<Entry> {
        precondition(lo >= offset && lo <= hi && hi <= offset + UInt64(entries.count),
                     "unstable slice \(lo)..<\(hi) outside \(offset)..<\(offset + UInt64(entries.count))")
        return entries[Int(lo - offset)..<Int(hi - offset)]
    }
}
