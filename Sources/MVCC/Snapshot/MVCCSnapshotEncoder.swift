/// Writes a store as a snapshot: header, revisions section, keys section, checksum
/// (docs/storage-format.md, "Store snapshots").
///
/// The keys section is written key by key, straight from the index and the log, so the encoder
/// holds nothing but its output chunk; a first pass through a `ByteCounter` gives the length
/// that prefixes the section.
struct MVCCSnapshotEncoder {
    let store: MVCCStore

    /// The length of the keys section's payload and of the whole snapshot.
    func measure() -> MVCCSnapshotSize {
        var counter = ByteCounter()
        writeKeys(into: &counter)
        let keysSection = counter.count
        let total = MVCCSnapshotLayout.headerSize
            + MVCCSnapshotLayout.sectionHeaderSize + MVCCSnapshotLayout.revisionsSectionSize
            + MVCCSnapshotLayout.sectionHeaderSize + keysSection
            + MVCCSnapshotLayout.checksumSize
        return MVCCSnapshotSize(byteCount: total, keysSectionByteCount: keysSection)
    }

    /// Everything but the checksum, which the writer adds.
    func write<Output: SnapshotOutput>(
        _ size: MVCCSnapshotSize, into output: inout Output
    ) throws(Output.Failure) {
        try output.append(MVCCSnapshotLayout.magic)
        try output.appendLittleEndian(MVCCSnapshotLayout.version)
        try output.appendLittleEndian(UInt64(size.byteCount))

        try output.append(MVCCSnapshotLayout.Section.revisions.rawValue)
        try output.appendLittleEndian(UInt64(MVCCSnapshotLayout.revisionsSectionSize))
        try output.appendLittleEndian(store.currentRevision)
        try output.appendLittleEndian(store.compactMainRevision)
        try output.appendLittleEndian(UInt64(store.index.count))
        try output.appendLittleEndian(UInt64(store.log.count))

        try output.append(MVCCSnapshotLayout.Section.keys.rawValue)
        try output.appendLittleEndian(UInt64(size.keysSectionByteCount))
        try writeKeys(into: &output)
    }

    private func writeKeys<Output: SnapshotOutput>(into output: inout Output) throws(Output.Failure) {
        var failure: Output.Failure?
        store.index.forEach(from: []) { key, keyIndex in
            do throws(Output.Failure) {
                try writeKey(key, keyIndex, into: &output)
                return true
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
    }

    /// The key, then each generation: its revision count and, unless empty, its creation
    /// revision, version and revisions, each put followed by its lease and value. What else a
    /// stored key-value holds follows from the generation.
    private func writeKey<Output: SnapshotOutput>(
        _ key: [UInt8], _ keyIndex: KeyIndex, into output: inout Output
    ) throws(Output.Failure) {
        try output.appendVarint(key.count)
        try output.append(key)
        let generations = keyIndex.generations
        try output.appendVarint(generations.count)
        for (number, generation) in generations.enumerated() {
            try output.appendVarint(generation.revisions.count)
            if generation.revisions.isEmpty { continue }
            try output.appendVarint(UInt64(generation.created.main))
            try output.appendVarint(UInt64(generation.created.sub))
            try output.appendVarint(UInt64(generation.version))
            let endsInTombstone = number < generations.count - 1
            for (position, revision) in generation.revisions.enumerated() {
                try output.appendVarint(UInt64(revision.main))
                try output.appendVarint(UInt64(revision.sub))
                if endsInTombstone, position == generation.revisions.count - 1 { continue }
                guard let change = store.log.change(at: revision) else {
                    preconditionFailure("the index points at \(revision), which the log does not hold")
                }
                try output.appendVarint(UInt64(bitPattern: change.kv.lease))
                try output.appendVarint(change.kv.value.count)
                try output.append(change.kv.value)
            }
        }
    }
}
