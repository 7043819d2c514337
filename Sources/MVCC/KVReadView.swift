import EtcdWire

/// Something range reads can be served from: the store (its committed state) or an open write
/// transaction (which also sees its own earlier changes).
public protocol KVReadView: AnyObject {
    /// The revision a read with revision 0 sees, and what a read reports as its header revision.
    var readRevision: Int64 { get }

    /// The live key-values in `keys` as of `options.revision`, in ascending key order.
    /// Throws `.futureRevision` above `readRevision` and `.compacted` below the compacted revision.
    func range(_ keys: KeyRange, options: RangeOptions) throws(EtcdError) -> RangeResult
}

public struct RangeOptions: Hashable, Sendable {
    /// The revision to read at; 0 or less reads at the view's `readRevision`.
    public var revision: Int64
    /// The most key-values to return; 0 or less returns all. Does not affect `count`.
    public var limit: Int64
    /// Return only `count`, no key-values.
    public var countOnly: Bool

    public init(revision: Int64 = 0, limit: Int64 = 0, countOnly: Bool = false) {
        self.revision = revision
        self.limit = limit
        self.countOnly = countOnly
    }
}

public struct RangeResult: Hashable, Sendable {
    public var kvs: [KeyValue]
    /// Keys in the range at the revision read, whatever the limit.
    public var count: Int
    /// The view's `readRevision` (not the revision read at): what etcd reports in the header.
    public var revision: Int64

    public init(kvs: [KeyValue], count: Int, revision: Int64) {
        self.kvs = kvs
        self.count = count
        self.revision = revision
    }
}
