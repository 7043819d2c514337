import EtcdWire

/// What a committed write transaction produced.
public struct WriteResult<Value> {
    /// What the transaction's body returned (for `KVExecutor`, the wire response).
    public var value: Value
    /// The store revision after the write: the write's own revision if it changed anything,
    /// otherwise the unchanged current revision.
    public var revision: Int64
    /// Every change in the order made, all at main revision `revision`; empty if nothing changed.
    /// Each carries the key's key-value just before that change as `prevKV` (nil for a create);
    /// a watcher that did not ask for prev_kv drops it. A delete's `kv` holds only the key and
    /// `modRevision`, as in etcd.
    public var events: [Event]

    public init(value: Value, revision: Int64, events: [Event]) {
        self.value = value
        self.revision = revision
        self.events = events
    }
}

extension WriteResult: Sendable where Value: Sendable {}
extension WriteResult: Equatable where Value: Equatable {}

/// What a compaction removed.
public struct CompactionResult: Hashable, Sendable {
    /// The revision compacted at.
    public var revision: Int64
    /// Stored changes (puts and tombstones) dropped from the history, in revision order: what a
    /// persistence layer may now reclaim.
    public var removedRevisions: [Revision]

    public init(revision: Int64, removedRevisions: [Revision]) {
        self.revision = revision
        self.removedRevisions = removedRevisions
    }
}
