/// The node's view of the replicated log: the persisted part (read from storage) followed by
/// the unstable part, plus how far it is committed and applied.
///
/// Invariant: `applied <= committed <= lastIndex`, and `committed >= firstIndex - 1` (everything
/// a snapshot covers is committed by definition).
struct RaftLog {
    let storage: any RaftStorage
    private(set) var unstable: Unstable
    private(set) var committed: UInt64
    private(set) var applied: UInt64
    /// Upper bound on the bytes of committed entries handed out in one `Ready`.
    let maxApplyBytes: UInt64

    init(storage: any RaftStorage, maxApplyBytes: UInt64) {
        self.storage = storage
        self.maxApplyBytes = maxApplyBytes
        unstable = Unstable(offset: storage.lastIndex + 1)
        committed = storage.firstIndex - 1
        applied = storage.firstIndex - 1
    }

    var firstIndex: UInt64 {
        unstable.firstIndex ?? storage.firstIndex
    }

    var lastIndex: UInt64 {
        unstable.lastIndex ?? storage.lastIndex
    }

    var lastTerm: UInt64 {
        guard let term = term(at: lastIndex) else {
            preconditionFailure("term of the last index \(lastIndex) is unknown")
        }
        return term
    }

    /// The term at `index`, or nil when the index is compacted away or beyond the log.
    func term(at index: UInt64) -> UInt64? {
        guard index + 1 >= firstIndex, index <= lastIndex else { return nil }
        if let term = unstable.term(at: index) { return term }
        return try? storage.term(at: index)
    }

    func matchTerm(_ index: UInt64, _ term: UInt64) -> Bool {
        self.term(at: index) == term
    }

    /// Raft §5.4.1: a candidate's log is at least as up to date as ours when its last term is
    /// higher, or equal with an index at least as high.
    func isUpToDate(lastIndex candidateIndex: UInt64, lastTerm candidateTerm: UInt64) -> Bool {
        let ourTerm = lastTerm
        return candidateTerm > ourTerm || (candidateTerm == ourTerm && candidateIndex >= lastIndex)
    }

    /// A follower's side of an append: if our log has `prevTerm` at `prevIndex`, make the
    /// following entries match the leader's and return the index of the last one; the commit
    /// index may then advance, but only over entries just confirmed to match the leader's log.
    mutating func maybeAppend(prevIndex: UInt64, prevTerm: UInt64, leaderCommit: UInt64,
                              entries: [Entry]) -> UInt64? {
        guard matchTerm(prevIndex, prevTerm) else { return nil }
        let lastNewIndex = prevIndex + UInt64(entries.count)
        if let conflict = firstConflict(in: entries) {
            precondition(conflict > committed, "entry \(conflict) conflicts with committed \(committed)")
            append(Array(entries[Int(conflict - prevIndex - 1)...]))
        }
        commit(to: min(leaderCommit, lastNewIndex))
        return lastNewIndex
    }

    /// Appends entries after the log (a leader's own proposals, or a follower's accepted tail).
    @discardableResult
    mutating func append(_ entries: [Entry]) -> UInt64 {
        guard let first = entries.first else { return lastIndex }
        precondition(first.index > committed, "appending at \(first.index) would overwrite committed \(committed)")
        unstable.truncateAndAppend(entries)
        return lastIndex
    }

    /// The index of the first entry whose term differs from ours (or that we lack).
    private func firstConflict(in entries: [Entry]) -> UInt64? {
        entries.first { !matchTerm($0.index, $0.term) }?.index
    }

    /// Fast backtracking: the largest index at or below `index` whose term is at most `term`.
    /// Every entry above it has a higher term, so it cannot match a log whose entry at `index`
    /// has `term`. Stops at the compaction point when the log does not reach further back.
    func lastIndexWithTerm(atMost term: UInt64, atOrBelow index: UInt64) -> (index: UInt64, term: UInt64) {
        var candidate = min(index, lastIndex)
        while let found = self.term(at: candidate) {
            if found <= term || candidate == 0 { return (candidate, found) }
            candidate -= 1
        }
        return (candidate, 0)
    }

    mutating func commit(to index: UInt64) {
        guard index > committed else { return }
        precondition(index <= lastIndex, "commit \(index) beyond last index \(lastIndex): log lost or corrupted")
        committed = index
    }

    /// Raft §5.4.2: a leader commits by counting replicas only entries of its own term.
    mutating func maybeCommit(quorumIndex: UInt64, currentTerm: UInt64) -> Bool {
        guard quorumIndex > committed, term(at: quorumIndex) == currentTerm else { return false }
        commit(to: quorumIndex)
        return true
    }

    mutating func markApplied(through index: UInt64) {
        precondition(index >= applied && index <= committed,
                     "applied \(index) outside \(applied)...\(committed)")
        applied = index
    }

    mutating func markPersisted(through index: UInt64, term: UInt64) {
        unstable.markPersisted(through: index, term: term)
    }

    mutating func markSnapshotPersisted(at index: UInt64) {
        unstable.markSnapshotPersisted(at: index)
    }

    /// Replaces the log with a snapshot from the leader; everything it covers is committed.
    mutating func restore(_ snapshot: Snapshot) {
        committed = snapshot.metadata.index
        unstable.restore(snapshot)
    }

    /// Restores the commit index persisted in the hard state.
    mutating func loadCommitted(_ index: UInt64) {
        precondition(index <= lastIndex, "persisted commit \(index) beyond last index \(lastIndex)")
        committed = max(committed, index)
    }

    var hasUnappliedCommittedEntries: Bool {
        committed > max(applied, firstIndex - 1)
    }

    /// The next batch of committed entries for the application, bounded by `maxApplyBytes`.
    func unappliedCommittedEntries() -> [Entry] {
        let lo = max(applied + 1, firstIndex)
        guard committed + 1 > lo else { return [] }
        do {
            return try slice(lo, committed + 1, maxBytes: maxApplyBytes)
        } catch {
            preconditionFailure("committed entries \(lo)...\(committed) unreadable: \(error)")
        }
    }

    /// Entries from `index` to the end, for an append message of at most `maxBytes`.
    func entries(from index: UInt64, maxBytes: UInt64) throws(StorageError) -> [Entry] {
        guard index <= lastIndex else { return [] }
        return try slice(index, lastIndex + 1, maxBytes: maxBytes)
    }

    func snapshot() throws(StorageError) -> Snapshot {
        if let pending = unstable.snapshot { return pending }
        return try storage.snapshot()
    }

    /// Entries in `lo..<hi`, read from storage below the unstable offset and from memory above.
    func slice(_ lo: UInt64, _ hi: UInt64, maxBytes: UInt64) throws(StorageError) -> [Entry] {
        precondition(lo <= hi && hi <= lastIndex + 1, "slice \(lo)..<\(hi) beyond last index \(lastIndex)")
        if lo < firstIndex { throw .compacted }
        if lo == hi { return [] }
        var result: [Entry] = []
        if lo < unstable.offset {
            let storedHi = min(hi, unstable.offset)
            result = try storage.entries(from: lo, to: storedHi, maxBytes: maxBytes)
            // Storage stopped early at the byte limit; the unstable part would exceed it too.
            if UInt64(result.count) < storedHi - lo { return result }
        }
        if hi > unstable.offset {
            result.append(contentsOf: unstable.slice(max(lo, unstable.offset), hi))
        }
        return result.prefix(maxBytes: maxBytes)
    }
}
