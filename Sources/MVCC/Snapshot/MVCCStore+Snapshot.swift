import EtcdWire

// The store as bytes and back: what a Raft snapshot, a new member's catch-up and
// Maintenance.Snapshot carry. Format: docs/storage-format.md, "Store snapshots".
extension MVCCStore {
    /// The store as a snapshot: current and compacted revision and every stored change since the
    /// compaction (plus what compaction kept), everything a restored store needs to serve the
    /// same reads, history and writes. The same store always gives the same bytes.
    ///
    /// Needs memory for the snapshot itself and little more; `writeSnapshot` needs only a chunk.
    public func snapshotBytes() -> [UInt8] {
        let size = measureSnapshot()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size.byteCount)
        writeSnapshot(chunkSize: 1 << 20, measured: size) { chunk in bytes.append(contentsOf: chunk) }
        return bytes
    }

    /// Hands the snapshot to `sink` in order, in chunks of about `chunkSize` bytes (the last one
    /// ends with the checksum). The store must not change until it returns; if `sink` throws,
    /// writing stops and the error is rethrown.
    public func writeSnapshot<Failure: Error>(
        chunkSize: Int = 1 << 16, to sink: ([UInt8]) throws(Failure) -> Void
    ) throws(Failure) {
        try writeSnapshot(chunkSize: chunkSize, measured: measureSnapshot(), to: sink)
    }

    /// The snapshot's length, from a pass over the store that builds nothing: for a container
    /// that announces the length before the bytes, which `writeSnapshot(chunkSize:measured:to:)`
    /// then writes without measuring again.
    public func measureSnapshot() -> MVCCSnapshotSize {
        MVCCSnapshotEncoder(store: self).measure()
    }

    /// `writeSnapshot(chunkSize:to:)` with the size `measureSnapshot()` gave; the store must not
    /// have changed since (a snapshot of another length stops the process).
    public func writeSnapshot<Failure: Error>(
        chunkSize: Int = 1 << 16, measured size: MVCCSnapshotSize, to sink: ([UInt8]) throws(Failure) -> Void
    ) throws(Failure) {
        assertNoWriteInProgress()
        try withoutActuallyEscaping(sink) { (sink) throws(Failure) in
            var writer = ChunkedSnapshotWriter(chunkSize: chunkSize, sink: sink)
            try MVCCSnapshotEncoder(store: self).write(size, into: &writer)
            try writer.finishWithChecksum()
            precondition(writer.count == size.byteCount, "the snapshot's measuring and writing passes disagree")
        }
    }

    /// A store holding exactly what `bytes` (from `snapshotBytes` or `writeSnapshot`) recorded.
    /// Throws, naming the problem and its offset, if the bytes are damaged, truncated, of
    /// another format version, or break any of the format's rules.
    public convenience init(restoringFrom bytes: [UInt8]) throws(MVCCSnapshotError) {
        let restored = try bytes.withUnsafeBufferPointer { (buffer) throws(MVCCSnapshotError) in
            try MVCCSnapshotDecoder.decode(buffer)
        }
        self.init()
        currentRevision = restored.currentRevision
        compactMainRevision = restored.compactMainRevision
        index = restored.index
        log = restored.log
        keyCount = restored.keyCount
    }

    /// Every live key that carries a lease, in key order: what the lessor restored next to this
    /// store attaches to its leases (a snapshot of the leases does not repeat them).
    public func leasedKeys() -> [(key: [UInt8], lease: Int64)] {
        var leased: [(key: [UInt8], lease: Int64)] = []
        index.forEach(from: []) { key, keyIndex in
            guard keyIndex.isLive, let found = keyIndex.lookup(at: .max), let change = log.change(at: found.modified) else {
                return true
            }
            if change.kv.lease != 0 { leased.append((key, change.kv.lease)) }
            return true
        }
        return leased
    }
}
