extension WatchHub {
    /// The store was replaced by one restored from a snapshot at `revision` (a member that fell
    /// too far behind its leader). Every synced watcher re-reads history from where it was, so
    /// it gets the revisions it missed from the new store, or is told they were compacted.
    public func storeReplaced(revision newRevision: Int64) {
        precondition(newRevision >= revision, "a snapshot at revision \(newRevision) would move watchers back from \(revision)")
        for stream in streams.values {
            for watcher in stream.watchers.values where watcher.state == .synced {
                // One created with a start revision still ahead skips what comes before it, and
                // stays synced if the new store does not reach that revision yet.
                let next = max(watcher.nextRevision, revision + 1)
                if next <= newRevision { desync(watcher, from: next) }
            }
            if !stream.unsynced.isEmpty, !stream.isFlushRequested {
                stream.isFlushRequested = true
                streamsToFlush.append(stream.id)
            }
        }
        revision = newRevision
    }
}
