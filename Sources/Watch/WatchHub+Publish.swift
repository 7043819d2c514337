import EtcdWire
import MVCC

extension WatchHub {
    /// Offers one committed revision's events (a write's changes, in order) to the synced
    /// watchers. Each watcher gets the events it takes together, in one response; each event
    /// is encoded once, however many watchers get it.
    public func publish(revision: Int64, events: [Event]) {
        precondition(revision == self.revision + 1, "revision \(revision) published after \(self.revision)")
        self.revision = revision
        guard synced.count > 0 else { return }

        // First pass: count each watcher's matches, remembering the watchers in order.
        publishMark &+= 1
        let mark = publishMark
        var touched: [Watcher] = []
        for (position, event) in events.enumerated() {
            synced.forEachWatcher(watching: event.kv!.key) { watcher in
                guard watcher.nextRevision <= revision, !watcher.filters.drops(event.type) else { return }
                if watcher.publishMark != mark {
                    watcher.publishMark = mark
                    watcher.matchCount = 0
                    watcher.firstMatch = position
                    touched.append(watcher)
                }
                watcher.matchCount += 1
            }
        }
        guard !touched.isEmpty else { return }

        // Second pass: hand out encoded events. A watcher that takes all of them shares one
        // array (the usual single-event write costs no allocation per watcher).
        var encoded = [EncodedEvent?](repeating: nil, count: events.count)
        func encodedEvent(_ position: Int) -> EncodedEvent {
            if let event = encoded[position] { return event }
            let event = EncodedEvent(events[position])
            encoded[position] = event
            return event
        }
        var all: [EncodedEvent]?
        for watcher in touched {
            let mine: [EncodedEvent]
            if watcher.matchCount == events.count {
                if all == nil { all = events.indices.map(encodedEvent) }
                mine = all!
            } else {
                mine = (watcher.firstMatch..<events.count)
                    .filter { watcher.wants(events[$0].type, key: events[$0].kv!.key) }
                    .map(encodedEvent)
            }
            deliver(mine, at: revision, to: watcher)
        }
    }

    private func deliver(_ events: [EncodedEvent], at revision: Int64, to watcher: Watcher) {
        let stream = watcher.stream
        guard stream.outbox.bytes < limits.outboxBytes else {
            // The client is not keeping up. Rather than queue without bound (or make the writer
            // wait), stop live delivery; the watcher re-reads from this revision once the
            // stream has drained.
            desync(watcher, from: revision)
            return
        }
        watcher.hadEventsSinceProgressTick = true
        enqueue(.events(WatchEventBatch(watchID: watcher.id, revision: revision, events: events,
                                        withPrevKV: watcher.wantsPrevKV, fragmentable: watcher.wantsFragments)),
                on: stream)
    }
}
