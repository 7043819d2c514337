import EtcdWire
import MVCC

extension WatchHub {
    /// Reads history for the stream's unsynced watchers, oldest first, queueing up to
    /// `Limits.catchUpBytes` of events. A watcher that reaches the published revision rejoins
    /// the synced index; one whose next revision is below the compaction is told so and served
    /// no more.
    ///
    /// The store must be exactly at the published revision and must not change during the
    /// call (the server holds the store's lock), so nothing can be published between the last
    /// revision read and the watcher's return to the synced index.
    public func catchUp(on id: WatchStreamID, from store: MVCCStore) {
        guard let stream = streams[id] else { return }
        precondition(store.currentRevision == revision, "catch-up from a store at \(store.currentRevision), published \(revision)")
        var budget = limits.catchUpBytes
        var position = 0
        while position < stream.unsynced.count, budget > 0 {
            let watcher = stream.unsynced[position]
            // etcd cancels only starts strictly below the compaction revision.
            if watcher.nextRevision < store.compactMainRevision {
                watcher.state = .compacted
                stream.unsynced.remove(at: position)
                stream.outbox.removeEvents(of: watcher.id)
                enqueue(.compacted(watchID: watcher.id, compactRevision: store.compactMainRevision), on: stream)
                continue
            }
            let page: HistoryPage
            do {
                page = try store.events(in: watcher.keys, from: watcher.nextRevision, through: revision,
                                        maxEvents: limits.catchUpEvents, maxBytes: budget,
                                        withPrevKV: watcher.wantsPrevKV)
            } catch {
                preconditionFailure("reading history the store holds failed: \(error)")
            }
            let events = page.events.filter { !watcher.filters.drops($0.type) }
            if !events.isEmpty {
                let batch = WatchEventBatch(watchID: watcher.id, revision: page.nextRevision - 1,
                                            events: events.map(EncodedEvent.init),
                                            withPrevKV: watcher.wantsPrevKV, fragmentable: watcher.wantsFragments)
                budget -= batch.approximateBytes
                watcher.hadEventsSinceProgressTick = true
                enqueue(.events(batch), on: stream)
            }
            watcher.nextRevision = page.nextRevision
            if page.nextRevision > revision {
                watcher.state = .synced
                stream.unsynced.remove(at: position)
                synced.insert(watcher)
            } else {
                position += 1
            }
        }
        answerProgressRequestIfCaughtUp(stream)
    }
}
