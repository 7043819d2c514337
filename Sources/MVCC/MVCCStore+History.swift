import EtcdWire

/// A stretch of a key range's history, read as watch events.
public struct HistoryPage: Hashable, Sendable {
    /// The changes, oldest first, each with the key's previous key-value if asked for.
    public var events: [Event]
    /// The first revision this page does not cover: where the next read continues, or
    /// `through + 1` when the page reaches the end of what was asked.
    public var nextRevision: Int64

    public init(events: [Event], nextRevision: Int64) {
        self.events = events
        self.nextRevision = nextRevision
    }
}

extension MVCCStore {
    /// The changes to `keys` at main revisions `start...end` as watch events, oldest first: what
    /// a watcher that starts in the past, or fell behind, is caught up with.
    ///
    /// Events look as they did when the write was published: a put carries the key-value it
    /// stored, a delete only the key and its revision; with `withPrevKV` each also carries the
    /// key's key-value just before it, unless the key did not exist then or that history is
    /// compacted (as etcd, which reads it at `mod_revision - 1`).
    ///
    /// The page ends early once it holds `maxEvents` events or `maxBytes` of keys and values,
    /// but always after a whole revision, so the changes of one transaction stay together.
    ///
    /// Throws `.compacted` if `start` is below the last compaction (as etcd, a start at the
    /// compaction revision itself is still served) and `.futureRevision` if `end` is past the
    /// current revision.
    public func events(
        in keys: KeyRange, from start: Int64, through end: Int64,
        maxEvents: Int = .max, maxBytes: Int = .max, withPrevKV: Bool
    ) throws(EtcdError) -> HistoryPage {
        if start < compactMainRevision { throw .compacted }
        if end > currentRevision { throw .futureRevision }
        var page = HistoryPage(events: [], nextRevision: end + 1)
        var bytes = 0

        /// Adds `change` unless the page is full and `change` starts a new revision.
        func add(_ change: StoredChange) -> Bool {
            if page.events.count >= maxEvents || bytes >= maxBytes,
               page.events.last?.kv?.modRevision != change.revision.main {
                page.nextRevision = change.revision.main
                return false
            }
            var event = Event()
            event.type = change.isTombstone ? .delete : .put
            event.kv = change.kv
            if withPrevKV, let previous = value(of: change.kv.key, at: change.revision.main - 1) {
                event.prevKV = previous
                bytes += previous.key.count + previous.value.count
            }
            bytes += change.payloadBytes
            page.events.append(event)
            return true
        }

        if keys.end == .singleKey {
            guard let keyIndex = index[keys.start] else { return page }
            for revision in keyIndex.revisions(from: start, through: end) {
                guard let change = log.change(at: revision) else {
                    preconditionFailure("the index points at \(revision), which the log does not hold")
                }
                if !add(change) { break }
            }
        } else {
            for entry in log.changes(fromMain: start) {
                if entry.revision.main > end { break }
                if keys.contains(entry.key), !add(entry.change) { break }
            }
        }
        return page
    }

    /// The key's key-value as of main revision `revision`; nil if it did not exist then or the
    /// history there is compacted.
    func value(of key: [UInt8], at revision: Int64) -> KeyValue? {
        guard revision >= compactMainRevision,
              let found = index[key]?.lookup(at: revision),
              let change = log.change(at: found.modified), !change.isTombstone else { return nil }
        return change.kv
    }
}
