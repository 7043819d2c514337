import Checksum
import EtcdWire

extension MVCCStore {
    /// etcd's HashKV: a CRC-32C over the stored history up to `revision` (0: the current one),
    /// byte for byte as etcd 3.4's `HashByRev` computes it over its key bucket, so members with
    /// the same history agree, and agree with etcd. Returns the hash and the compacted revision
    /// as etcd reports it (-1 before the first compaction).
    ///
    /// The hash covers the bytes `key` (the bucket's name), then, in revision order, each stored
    /// change at or below `revision`: its revision as etcd stores it (8 bytes main, `_`, 8 bytes
    /// sub, big-endian, and `t` for a tombstone) and its key-value's protobuf encoding (a
    /// tombstone's holds only the key). Of the changes at or below the compaction, only those a
    /// compaction at `revision` would keep count, unless it would keep none (etcd's rule).
    ///
    /// Throws `.compacted` if `revision` is positive and at or below the compaction (unlike a
    /// range, HashKV refuses the compacted revision itself) and `.futureRevision` if it is
    /// above the current revision.
    public func hashKV(upTo revision: Int64) throws(EtcdError) -> (hash: UInt32, compactRevision: Int64) {
        if revision > 0, revision <= compactMainRevision { throw .compacted }
        if revision > currentRevision { throw .futureRevision }
        let upTo = revision == 0 ? currentRevision : revision
        let (kept, keepsAny) = revisionsKept(atCompaction: upTo)

        var crc = CRC32C()
        crc.add(Array("key".utf8))
        var revisionKey = [UInt8](repeating: 0, count: 18)
        for entry in log.changes(fromMain: 0) {
            let stored = entry.revision
            if stored.main > upTo { break }
            if stored.main <= compactMainRevision, keepsAny, !kept.contains(stored) { continue }
            let change = entry.change
            Self.fillRevisionKey(&revisionKey, stored)
            let value: KeyValue
            if change.isTombstone {
                revisionKey[17] = UInt8(ascii: "t")
                crc.add(revisionKey)
                value = KeyValue(key: change.kv.key, createRevision: 0, modRevision: 0, version: 0, value: [], lease: 0)
            } else {
                revisionKey.withUnsafeBytes { crc.add(UnsafeRawBufferPointer(rebasing: $0[..<17])) }
                value = change.kv
            }
            crc.add(value.protobuf())
        }
        return (crc.value, compactMainRevision)
    }

    /// The stored changes at or below the compaction that a compaction at `revision` would keep
    /// (each key's value as of `revision`), and whether it would keep any revision at all.
    private func revisionsKept(atCompaction revision: Int64) -> (kept: Set<Revision>, keepsAny: Bool) {
        var kept = Set<Revision>()
        var keepsAny = false
        index.forEach(from: []) { _, keyIndex in
            guard let found = keyIndex.lookup(at: revision) else { return true }
            keepsAny = true
            if found.modified.main <= compactMainRevision { kept.insert(found.modified) }
            return true
        }
        return (kept, keepsAny)
    }

    /// Writes `revision` as etcd's key bucket key: main, `_`, sub, big-endian.
    private static func fillRevisionKey(_ key: inout [UInt8], _ revision: Revision) {
        for index in 0..<8 {
            key[index] = UInt8(truncatingIfNeeded: UInt64(bitPattern: revision.main) >> (56 - 8 * UInt64(index)))
            key[9 + index] = UInt8(truncatingIfNeeded: UInt64(bitPattern: revision.sub) >> (56 - 8 * UInt64(index)))
        }
        key[8] = UInt8(ascii: "_")
    }
}
