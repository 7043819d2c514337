import Lease
import MVCC

/// What `swift-etcd snapshot status` reports about a backup file, with etcdctl's four figures,
/// after checking the file as a restore would (trailer, layout, and both snapshots in full).
struct BackupSummary: Equatable {
    /// The state hash recorded in the file: what `Maintenance.Hash` answered for that state.
    var hash: UInt32
    /// The store's revision.
    var revision: Int64
    /// Stored key revisions (etcd's key bucket entries) plus leases: what etcd counts, minus its
    /// bookkeeping entries (members, meta), which our file does not carry.
    var totalKeys: UInt64
    /// The file's size without its SHA-256 trailer.
    var totalSize: Int

    init(_ contents: BackupContents) throws {
        let store = try MVCCStore(restoringFrom: contents.store)
        _ = try Lessor(restoringFrom: contents.leases, minimumTTL: 1, leasedKeys: store.leasedKeys())
        hash = contents.hash
        revision = store.currentRevision
        // Both counts sit at fixed offsets of their snapshot formats (docs/storage-format.md):
        // the store's number of stored changes in its revisions section, the lessor's lease count.
        totalKeys = Self.littleEndian(contents.store, at: 49) + Self.littleEndian(contents.leases, at: 8)
        totalSize = contents.bodyBytes
    }

    private static func littleEndian(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }
}
