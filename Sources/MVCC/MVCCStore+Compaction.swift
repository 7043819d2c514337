import EtcdWire

extension MVCCStore {
    /// Drops history at or below `revision`: reads below it fail with `.compacted` from now on,
    /// reads at it still see every key that was live then.
    ///
    /// Throws `.compacted` if `revision` is not above the last compaction and `.futureRevision`
    /// if it is above the current revision.
    @discardableResult
    public func compact(at revision: Int64) throws(EtcdError) -> CompactionResult {
        assertNoWriteInProgress()
        if revision <= compactMainRevision { throw .compacted }
        if revision > currentRevision { throw .futureRevision }
        compactMainRevision = revision

        var keep = Set<Revision>()
        var forgotten: [[UInt8]] = []
        index.updateAll { key, keyIndex in
            if let kept = keyIndex.compact(at: revision) { keep.insert(kept) }
            if keyIndex.isEmpty { forgotten.append(key) }
        }
        for key in forgotten { index.removeValue(forKey: key) }
        return CompactionResult(revision: revision, removedRevisions: log.compact(at: revision, keeping: keep))
    }
}
