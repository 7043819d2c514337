import EtcdWire

/// etcd's multi-version key-value store, in memory.
///
/// Every write transaction that changes something moves the store to the next revision; all its
/// changes share that main revision. Older revisions stay readable until compacted.
///
/// Pure and single-owner: no I/O, clocks or threads. The apply loop owns it and makes every
/// write; it is not thread-safe, so the owner also serializes reads.
public final class MVCCStore: KVReadView {
    /// The revision of the newest committed write; a fresh store is at 1.
    public internal(set) var currentRevision: Int64 = 1

    /// The last revision compacted at, as etcd keeps it: -1 until the first compaction, so that
    /// compacting at 0 is allowed once (etcd accepts it), and a negative revision in a
    /// transaction's range or a watch's start compares as it does in etcd.
    public internal(set) var compactMainRevision: Int64 = -1

    /// The last revision compacted at; 0 if the store was never compacted.
    public var compactedRevision: Int64 { max(compactMainRevision, 0) }

    /// Keys that exist at the newest revision.
    public internal(set) var keyCount = 0

    /// Key and value bytes held in the whole stored history: a rough stand-in for etcd's
    /// database size, which shrinks only when compaction drops history.
    public var approximateBytes: Int { log.payloadBytes }

    /// Each key's revision history, in key order.
    var index = OrderedKeyMap<KeyIndex>()
    /// Each change's stored key-value, in revision order.
    var log = RevisionLog()
    private var isWriting = false

    /// Told of every committed write before `write` returns; see `CommitObserver`.
    public weak var commitObserver: CommitObserver?

    public init() {}

    public var readRevision: Int64 { currentRevision }

    public func range(_ keys: KeyRange, options: RangeOptions = RangeOptions()) throws(EtcdError) -> RangeResult {
        try read(keys, options: options, viewRevision: currentRevision)
    }

    /// Runs `body` as one write transaction and commits it.
    ///
    /// Changes made through the transaction are visible to its own reads at once and share one
    /// new revision; a transaction that changes nothing leaves the revision as it was. If `body`
    /// throws, every change it made is taken back and the store is as before.
    public func write<R, E: Error>(_ body: (WriteTransaction) throws(E) -> R) throws(E) -> WriteResult<R> {
        precondition(!isWriting, "one write transaction at a time")
        isWriting = true
        defer { isWriting = false }

        let transaction = WriteTransaction(store: self, beginRevision: currentRevision)
        defer { transaction.close() }
        let value: R
        do throws(E) {
            value = try body(transaction)
        } catch {
            rollBack(transaction.events, at: transaction.writeRevision)
            throw error
        }
        if !transaction.events.isEmpty {
            currentRevision += 1
            commitObserver?.committed(revision: currentRevision, events: transaction.events)
        }
        return WriteResult(value: value, revision: currentRevision, events: transaction.events)
    }

    /// Reads as a view whose revision is `viewRevision` (the store's, or an open transaction's).
    func read(_ keys: KeyRange, options: RangeOptions, viewRevision: Int64) throws(EtcdError) -> RangeResult {
        if options.revision > viewRevision { throw .futureRevision }
        let revision = options.revision <= 0 ? viewRevision : options.revision
        if revision < compactMainRevision { throw .compacted }

        var result = RangeResult(kvs: [], count: 0, revision: viewRevision)
        func collect(_ keyIndex: KeyIndex) {
            guard let found = keyIndex.lookup(at: revision) else { return }
            result.count += 1
            guard !options.countOnly, options.limit <= 0 || result.kvs.count < options.limit else { return }
            guard let change = log.change(at: found.modified), !change.isTombstone else {
                preconditionFailure("the index points at \(found.modified), which the log does not hold")
            }
            result.kvs.append(change.kv)
        }
        if keys.end == .singleKey {
            if let keyIndex = index[keys.start] { collect(keyIndex) }
        } else {
            index.forEach(from: keys.start) { key, keyIndex in
                if keys.isPastEnd(key) { return false }
                collect(keyIndex)
                return true
            }
        }
        return result
    }

    func assertNoWriteInProgress() {
        precondition(!isWriting, "not allowed during a write transaction")
    }
}
