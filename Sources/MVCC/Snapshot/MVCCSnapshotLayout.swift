/// The fixed parts of the store snapshot format (docs/storage-format.md, "Store snapshots").
enum MVCCSnapshotLayout {
    /// ASCII `mvcc`.
    static let magic: [UInt8] = [0x6D, 0x76, 0x63, 0x63]
    static let version: UInt32 = 1
    /// Magic, version, total length.
    static let headerSize = 16
    static let checksumSize = 4
    /// A section's tag byte and 8-byte payload length.
    static let sectionHeaderSize = 9

    enum Section: UInt8 {
        /// Current and compacted revision, number of keys and of stored changes.
        case revisions = 1
        /// Every key with its generations and stored changes, in key order.
        case keys = 2
    }

    /// Four 8-byte integers.
    static let revisionsSectionSize = 32

    /// No change is ever at revision 1: it is the empty store's revision, and the first write
    /// makes revision 2.
    static let firstChangeRevision: Int64 = 2
}
