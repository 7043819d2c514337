import Checksum

// The lessor's applied side as bytes and back, for Raft snapshots (docs/storage-format.md,
// "Lessor snapshots"). Only what every member agrees on is recorded: lease IDs and granted TTLs.
// Attached keys are not: the store restored beside the lessor says which key carries which
// lease, as etcd rebuilds them on restart. Clocks are not either: whoever holds the leases after
// a restore calls `promote`, which gives every lease its full TTL plus the extension.

extension Lessor {
    /// ASCII `leas`.
    static let snapshotMagic: [UInt8] = [0x6C, 0x65, 0x61, 0x73]
    static let snapshotVersion: UInt32 = 1
    /// Magic, version, lease count.
    static let snapshotHeaderSize = 16
    /// ID and granted TTL.
    static let snapshotEntrySize = 16

    /// The leases as a snapshot, in ascending ID order: the same leases always give the same bytes.
    public func snapshotBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.snapshotHeaderSize + Self.snapshotEntrySize * leases.count + 4)
        bytes += Self.snapshotMagic
        bytes.appendLittleEndian(Self.snapshotVersion)
        bytes.appendLittleEndian(UInt64(leases.count))
        for id in leases.keys.sorted() {
            bytes.appendLittleEndian(id)
            bytes.appendLittleEndian(leases[id]!.ttl)
        }
        bytes.appendLittleEndian(CRC32C.update(0, bytes[...]))
        return bytes
    }

    /// A lessor holding the leases `bytes` (from `snapshotBytes`) recorded, with `leasedKeys`
    /// attached (the restored store's `leasedKeys()`). Each TTL is raised to `minimumTTL` if it
    /// is below, as etcd does when it recovers its leases. The lessor does not hold the leases
    /// until `promote`.
    ///
    /// Throws, naming the problem, if the bytes are damaged, truncated, of another version or
    /// break the format's rules, or if a key carries a lease the snapshot does not hold.
    public init(
        restoringFrom bytes: [UInt8], minimumTTL: Int64, leasedKeys: [(key: [UInt8], lease: LeaseID)]
    ) throws(LessorSnapshotError) {
        self.init(minimumTTL: minimumTTL)
        for (id, ttl) in try Self.decodeLeases(bytes) {
            leases[id] = Lease(id: id, ttl: max(ttl, minimumTTL))
        }
        for (key, id) in leasedKeys {
            guard leases[id] != nil else {
                throw LessorSnapshotError(.unknownLease, at: 0, "a key of the store carries lease \(id), which the snapshot does not hold")
            }
            leases[id]!.keys.insert(key)
        }
    }

    /// The (ID, granted TTL) pairs of a snapshot, after checking all of it.
    private static func decodeLeases(_ bytes: [UInt8]) throws(LessorSnapshotError) -> [(LeaseID, Int64)] {
        if !bytes.prefix(snapshotMagic.count).elementsEqual(snapshotMagic.prefix(bytes.count)) {
            throw LessorSnapshotError(.notASnapshot, at: 0, "does not start with the magic \"leas\"")
        }
        if bytes.count < snapshotHeaderSize + 4 {
            throw LessorSnapshotError(.wrongLength, at: bytes.count, "only \(bytes.count) bytes, less than a header and a checksum: truncated")
        }
        let version = UInt32(truncatingIfNeeded: bytes.littleEndian(at: 4, size: 4))
        if version != snapshotVersion {
            throw LessorSnapshotError(.unsupportedVersion, at: 4, "format version \(version); this build reads version \(snapshotVersion)")
        }
        let count = bytes.littleEndian(at: 8, size: 8)
        let entryBytes = UInt64(bytes.count - snapshotHeaderSize - 4)
        if count > entryBytes / UInt64(snapshotEntrySize) || count * UInt64(snapshotEntrySize) != entryBytes {
            throw LessorSnapshotError(.wrongLength, at: 8, "\(count) leases take \(snapshotHeaderSize + 4)+16·\(count) bytes, there are \(bytes.count)")
        }
        let checksumOffset = bytes.count - 4
        let stored = UInt32(truncatingIfNeeded: bytes.littleEndian(at: checksumOffset, size: 4))
        let computed = CRC32C.update(0, bytes[..<checksumOffset])
        if stored != computed {
            throw LessorSnapshotError(.checksumMismatch, at: checksumOffset, "CRC-32C is \(computed), the snapshot says \(stored): the bytes are damaged")
        }
        var decoded: [(LeaseID, Int64)] = []
        decoded.reserveCapacity(Int(count))
        for offset in stride(from: snapshotHeaderSize, to: checksumOffset, by: snapshotEntrySize) {
            let id = LeaseID(bitPattern: bytes.littleEndian(at: offset, size: 8))
            let ttl = Int64(bitPattern: bytes.littleEndian(at: offset + 8, size: 8))
            if id == 0 { throw LessorSnapshotError(.malformed, at: offset, "lease ID 0, which means no lease") }
            if let previous = decoded.last?.0, id <= previous {
                throw LessorSnapshotError(.malformed, at: offset, "lease \(id) does not follow lease \(previous) in ascending order")
            }
            if ttl > LeaseLimits.maxTTL {
                throw LessorSnapshotError(.malformed, at: offset + 8, "lease \(id) has TTL \(ttl), above the largest a grant allows")
            }
            decoded.append((id, ttl))
        }
        return decoded
    }
}

extension [UInt8] {
    fileprivate mutating func appendLittleEndian<I: FixedWidthInteger>(_ value: I) {
        for index in 0..<(I.bitWidth / 8) { append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
    }

    /// `size` bytes at `offset`, little-endian; the caller has checked they are there.
    fileprivate func littleEndian(at offset: Int, size: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<size { value |= UInt64(self[offset + index]) << (8 * UInt64(index)) }
        return value
    }
}
