import EtcdWire

/// One stored change: the key-value as written at `revision`, or a tombstone.
struct StoredChange: Equatable {
    var revision: Revision
    /// For a tombstone only `key` and `modRevision` are set.
    var kv: KeyValue
    var isTombstone: Bool

    var payloadBytes: Int { kv.key.count + kv.value.count }
}

/// Every stored change, in revision order: the in-memory stand-in for etcd's key bucket
/// (revision → KeyValue). Appends come in increasing revision order, so the array stays sorted and
/// lookups are binary searches; a watcher catching up reads it from any revision onward.
struct RevisionLog {
    private(set) var changes: [StoredChange] = []
    /// Key and value bytes of every stored change.
    private(set) var payloadBytes = 0

    var count: Int { changes.count }

    mutating func append(_ change: StoredChange) {
        if let last = changes.last {
            precondition(last.revision < change.revision, "log revisions must increase")
        }
        changes.append(change)
        payloadBytes += change.payloadBytes
    }

    /// Removes the newest change, which must be at `revision` (rollback of a failed write).
    mutating func removeLast(_ revision: Revision) {
        precondition(changes.last?.revision == revision, "rollback out of order")
        payloadBytes -= changes.removeLast().payloadBytes
    }

    func change(at revision: Revision) -> StoredChange? {
        let index = firstIndex(notBelow: revision)
        guard index < changes.count, changes[index].revision == revision else { return nil }
        return changes[index]
    }

    /// The changes at main revision `main` and after, oldest first (a view, not a copy).
    func changes(fromMain main: Int64) -> ArraySlice<StoredChange> {
        changes[firstIndex(notBelow: Revision(main: main))...]
    }

    /// Removes every change at or below main revision `revision` that is not in `keep`, returning
    /// the removed revisions in order.
    mutating func compact(at revision: Int64, keeping keep: Set<Revision>) -> [Revision] {
        let end = firstIndex(notBelow: Revision(main: revision + 1))
        var kept: [StoredChange] = []
        var removed: [Revision] = []
        for change in changes[..<end] {
            if keep.contains(change.revision) {
                kept.append(change)
            } else {
                removed.append(change.revision)
                payloadBytes -= change.payloadBytes
            }
        }
        changes.replaceSubrange(..<end, with: kept)
        return removed
    }

    private func firstIndex(notBelow revision: Revision) -> Int {
        var low = 0
        var high = changes.count
        while low < high {
            let mid = (low + high) / 2
            if changes[mid].revision < revision { low = mid + 1 } else { high = mid }
        }
        return low
    }
}

extension RevisionLog {
    /// A log holding `changes`, which are in increasing revision order (the snapshot decoder
    /// has checked), without copying them.
    init(ordered changes: [StoredChange]) {
        self.init()
        self.changes = changes
        payloadBytes = changes.reduce(0) { $0 + $1.payloadBytes }
    }
}
