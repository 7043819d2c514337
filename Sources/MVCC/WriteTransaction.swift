import EtcdWire

/// An open write transaction on an `MVCCStore`, handed to the body of `MVCCStore.write`.
///
/// All its changes get main revision `writeRevision` and sub revisions 0, 1, 2… in the order
/// made. Its reads see its own earlier changes, as etcd's do. Valid only inside the body.
public final class WriteTransaction: KVReadView {
    private let store: MVCCStore
    /// The store's revision when the transaction began.
    public let beginRevision: Int64
    /// The changes made so far, in order.
    public private(set) var events: [Event] = []
    private var isOpen = true

    init(store: MVCCStore, beginRevision: Int64) {
        self.store = store
        self.beginRevision = beginRevision
    }

    /// The revision every change of this transaction gets.
    public var writeRevision: Int64 { beginRevision + 1 }

    /// What reads see: `writeRevision` once something changed, `beginRevision` before.
    public var readRevision: Int64 { events.isEmpty ? beginRevision : writeRevision }

    public func range(_ keys: KeyRange, options: RangeOptions = RangeOptions()) throws(EtcdError) -> RangeResult {
        precondition(isOpen, "transaction used after it ended")
        return try store.read(keys, options: options, viewRevision: readRevision)
    }

    /// Stores `value` under `key` with `lease`; returns the key's previous key-value, if it existed.
    @discardableResult
    public func put(key: [UInt8], value: [UInt8], lease: Int64) -> KeyValue? {
        precondition(isOpen, "transaction used after it ended")
        let event = store.applyPut(key: key, value: value, lease: lease, at: nextRevision)
        events.append(event)
        return event.prevKV
    }

    /// Deletes every live key in `keys`; returns the deleted key-values in key order.
    @discardableResult
    public func deleteRange(_ keys: KeyRange) -> [KeyValue] {
        precondition(isOpen, "transaction used after it ended")
        var deleted: [KeyValue] = []
        for key in store.liveKeys(in: keys) {
            let event = store.applyTombstone(key: key, at: nextRevision)
            events.append(event)
            deleted.append(event.prevKV!)
        }
        return deleted
    }

    func close() { isOpen = false }

    private var nextRevision: Revision { Revision(main: writeRevision, sub: Int64(events.count)) }
}
