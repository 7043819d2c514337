import EtcdWire

/// One stored change: the key-value as written at `revision`, or a tombstone.
struct StoredChange: Equatable {
    var revision: Revision
    /// For a tombstone only `key` and `modRevision` are set.
    var kv: KeyValue
    var isTombstone: Bool

    var payloadBytes: Int { kv.key.count + kv.value.count }
}

/// Every stored change, in revision order: the in-memory stand-in for etcd's key bucket
/// (revision → KeyValue). Appends come in increasing revision order, so lookups are binary
/// searches; a watcher catching up reads it from any revision onward.
///
/// The changes live in chunks (`ChangeChunk`), each holding its changes' keys and values in one
/// buffer: growing the log opens a new chunk instead of copying the whole log, and a stored
/// change costs its bytes plus a fixed-size record. Key-values are copied out when read.
struct RevisionLog {
    /// In revision order, none empty. Only the last one is appended to.
    private var chunks: [ChangeChunk] = []
    private let recordsPerChunk: Int
    private let bytesPerChunk: Int
    private(set) var count = 0
    /// Key and value bytes of every stored change.
    private(set) var payloadBytes = 0
    private var chunkSize: (records: Int, bytes: Int) { (recordsPerChunk, bytesPerChunk) }

    /// A log whose chunks hold up to `recordsPerChunk` changes and `bytesPerChunk` bytes of keys
    /// and values (a chunk that starts with a bigger change holds just that much).
    init(recordsPerChunk: Int = 4096, bytesPerChunk: Int = 1 << 20) {
        precondition(recordsPerChunk > 0 && bytesPerChunk > 0, "a chunk must hold something")
        self.recordsPerChunk = recordsPerChunk
        self.bytesPerChunk = bytesPerChunk
    }

    mutating func append(_ change: StoredChange) {
        if let last = chunks.last {
            precondition(last.revision(at: last.count - 1) < change.revision, "log revisions must increase")
        }
        Self.append(change.payloadBytes, to: &chunks, chunkSize: chunkSize) { $0.append(change) }
        count += 1
        payloadBytes += change.payloadBytes
    }

    /// Appends a change of `payload` bytes to the last of `chunks` with `body`, first opening a
    /// new chunk if that one has no room. Static, so that nothing but `chunks` holds the chunk
    /// buffers while they are appended to: another reference (a copy of `self`) would make
    /// every append copy the whole last chunk.
    private static func append(
        _ payload: Int, to chunks: inout [ChangeChunk], chunkSize: (records: Int, bytes: Int),
        _ body: (inout ChangeChunk) -> Void
    ) {
        if chunks.last?.hasRoom(forPayload: payload) != true {
            if !chunks.isEmpty { chunks[chunks.count - 1].releaseUnusedCapacity() }
            chunks.append(ChangeChunk(recordCapacity: chunkSize.records, byteCapacity: chunkSize.bytes, firstPayload: payload))
        }
        body(&chunks[chunks.count - 1])
    }

    /// Removes the newest change, which must be at `revision` (rollback of a failed write).
    mutating func removeLast(_ revision: Revision) {
        let last = chunks.count - 1
        precondition(last >= 0 && chunks[last].revision(at: chunks[last].count - 1) == revision, "rollback out of order")
        payloadBytes -= chunks[last].removeLast().payloadBytes
        count -= 1
        if chunks[last].isEmpty { chunks.removeLast() }
    }

    func change(at revision: Revision) -> StoredChange? {
        let position = firstPosition(notBelow: revision)
        guard position.chunk < chunks.count else { return nil }
        let chunk = chunks[position.chunk]
        guard chunk.revision(at: position.index) == revision else { return nil }
        return chunk.change(at: position.index)
    }

    /// The changes at main revision `main` and after, oldest first, read in place.
    func changes(fromMain main: Int64) -> Changes {
        Changes(chunks: chunks, start: firstPosition(notBelow: Revision(main: main)))
    }

    /// Removes every change at or below main revision `revision` that is not in `keep`, returning
    /// the removed revisions in order. The chunks holding such changes are rewritten with what
    /// is left, one at a time, so their memory goes back as the rewrite passes them.
    mutating func compact(at revision: Int64, keeping keep: Set<Revision>) -> [Revision] {
        let end = firstPosition(notBelow: Revision(main: revision + 1))
        let touched = end.index > 0 ? end.chunk + 1 : end.chunk
        var rewritten: [ChangeChunk] = []
        var removed: [Revision] = []
        for number in 0..<touched {
            let chunk = chunks[number]
            chunks[number] = ChangeChunk()
            let limit = number == end.chunk ? end.index : chunk.count
            let dropped = chunk.records[..<limit].filter { !keep.contains($0.revision) }
            guard !dropped.isEmpty else {
                // Nothing to drop: the chunk stays as it is.
                if !rewritten.isEmpty { rewritten[rewritten.count - 1].releaseUnusedCapacity() }
                rewritten.append(chunk)
                continue
            }
            for (index, record) in chunk.records.enumerated() {
                if index < limit, !keep.contains(record.revision) { continue }
                Self.append(record.payloadBytes, to: &rewritten, chunkSize: chunkSize) { $0.append(record, from: chunk) }
            }
            removed += dropped.map(\.revision)
            payloadBytes -= dropped.reduce(0) { $0 + $1.payloadBytes }
            count -= dropped.count
        }
        if let last = rewritten.indices.last, touched < chunks.count { rewritten[last].releaseUnusedCapacity() }
        chunks.replaceSubrange(..<touched, with: rewritten)
        return removed
    }

    /// Where the first change at or after `revision` is; `(chunks.count, 0)` if there is none.
    private func firstPosition(notBelow revision: Revision) -> (chunk: Int, index: Int) {
        var low = 0
        var high = chunks.count
        while low < high {
            let mid = (low + high) / 2
            let chunk = chunks[mid]
            if chunk.revision(at: chunk.count - 1) < revision { low = mid + 1 } else { high = mid }
        }
        guard low < chunks.count else { return (low, 0) }
        return (low, chunks[low].firstIndex(notBelow: revision))
    }
}

extension RevisionLog {
    /// A log holding `changes`, which are in increasing revision order (the snapshot decoder
    /// has checked).
    init(ordered changes: [StoredChange]) {
        self.init()
        for change in changes { append(change) }
    }
}
